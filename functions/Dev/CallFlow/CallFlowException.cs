namespace Hotline.Functions.Dev.CallFlow;

/// <summary>
/// The app answered Twilio in a way Twilio would not accept (an error status, a wrong content type, a request that
/// leaves the app), or a step asked of the simulated call does not fit where the call is.
/// </summary>
public sealed class CallFlowException : Exception
{
    public CallFlowException()
    {
    }

    public CallFlowException(string message)
        : base(message)
    {
    }

    public CallFlowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
