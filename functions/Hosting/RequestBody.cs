using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Hotline.Functions.Hosting;

/// <summary>Reads a function's JSON body the way the rest of the API expects it.</summary>
public static class RequestBody
{
    /// <summary>
    /// The body as <typeparamref name="T"/>, or null when there is none. A body that is not JSON is a 415, and JSON
    /// that does not read as <typeparamref name="T"/> a 400 (both answered by <see cref="HttpHardening"/>).
    /// </summary>
    public static async Task<T?> ReadJsonAsync<T>(this HttpRequest request, CancellationToken cancellationToken = default) where T : class
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return null;
        }

        if (!request.HasJsonContentType())
        {
            throw new BadHttpRequestException("The request body must be JSON.", StatusCodes.Status415UnsupportedMediaType);
        }

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException("The request body is not valid JSON.", StatusCodes.Status400BadRequest, e);
        }
    }
}
