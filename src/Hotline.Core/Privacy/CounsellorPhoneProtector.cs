using Hotline.Secrets;

namespace Hotline.Privacy;

/// <summary>
/// Counsellors' own phone numbers in the roster table (staff personal data), bound to the counsellor's id, under a key
/// of their own: the roster's key opens no caller data, and the callers' keys open no staff numbers.
/// </summary>
public sealed class CounsellorPhoneProtector(ISecretStore secrets) : FieldProtector(secrets, KeySecret)
{
    public static readonly SecretDefinition KeySecret = new("CounsellorPhoneKey", GeneratedBytes: 32);
}
