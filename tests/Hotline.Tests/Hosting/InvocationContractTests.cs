using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Hosting;

/// <summary>
/// The custom-handler contract exactly as the Azure Functions host speaks it, over real HTTP: readiness probe,
/// <c>POST /{FunctionName}</c> with the host's quirks, and the <c>{Outputs, Logs, ReturnValue}</c> answer.
/// </summary>
public sealed class InvocationContractTests : IAsyncLifetime
{
    private readonly RecordingQueueFunction _recording = new();
    private readonly FailingQueueFunction _failing = new();
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Functions:Root"] = TestEnvironment.FunctionApp("queue-app") },
            b => b.Services.AddQueueTestFunctions(_recording, _failing, new FlakyQueueFunction()),
            needsStorage: false);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Readiness_probe_answers_200_at_once()
    {
        var response = await _app.Http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Queue_message_double_encoded_by_the_host_with_numbers_as_strings_reaches_the_function()
    {
        // What the real host sends: the message string serialized again, DequeueCount as a string, Id re-quoted.
        var message = JsonSerializer.Serialize(new { text = "hello", number = 7 });
        var body = new
        {
            Data = new { order = JsonSerializer.Serialize(message) },
            Metadata = new
            {
                DequeueCount = "3",
                Id = JsonSerializer.Serialize("a1b2"),
                InsertionTime = JsonSerializer.Serialize(new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero)),
                sys = new { MethodName = "RecordingQueue", UtcNow = "2026-11-01T08:00:01Z", RandGuid = Guid.NewGuid() },
            },
        };

        var response = await PostAsync("RecordingQueue", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_recording.Received);
        Assert.Equal(new TestOrder("hello", 7), received.Order);
        Assert.Equal(3, received.Info.DequeueCount);
        Assert.Equal("a1b2", received.Info.Id);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero), received.Info.InsertionTime);

        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Object, answer.RootElement.GetProperty("Outputs").ValueKind);
        Assert.Equal(JsonValueKind.Array, answer.RootElement.GetProperty("Logs").ValueKind);
        Assert.True(answer.RootElement.TryGetProperty("ReturnValue", out _));
    }

    [Fact]
    public async Task Message_sent_as_a_plain_object_with_numeric_metadata_is_accepted_too()
    {
        var body = new { Data = new { order = new { text = "plain", number = 1 } }, Metadata = new { DequeueCount = 1 } };

        var response = await PostAsync("recordingqueue", body); // function names are case-insensitive in Azure

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_recording.Received);
        Assert.Equal("plain", received.Order.Text);
        Assert.Equal(1, received.Info.DequeueCount);
    }

    [Fact]
    public async Task A_throwing_function_answers_500_so_the_host_retries_and_says_why_in_Logs()
    {
        var body = new { Data = new { order = JsonSerializer.Serialize("{\"text\":\"x\",\"number\":1}") }, Metadata = new { } };

        var response = await PostAsync("FailingQueue", body);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var logs = answer.RootElement.GetProperty("Logs").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.Contains(logs, l => l!.Contains("FailingQueue", StringComparison.Ordinal)
                                   && l.Contains(nameof(InvalidOperationException), StringComparison.Ordinal));
        Assert.Single(_failing.Attempts);
    }

    [Fact]
    public async Task Unknown_function_is_404()
    {
        var response = await PostAsync("NoSuchFunction", new { Data = new { }, Metadata = new { } });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("{\"Data\": 5}", "'Data' must be a JSON object")]
    public async Task Malformed_invocation_is_400_with_a_reason(string body, string reason)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await _app.Http.PostAsync(new Uri("/RecordingQueue", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_recording.Received);
    }

    [Fact]
    public async Task A_message_that_is_not_the_expected_JSON_fails_without_echoing_its_content()
    {
        var body = new { Data = new { order = JsonSerializer.Serialize("call me on +40 721 234 567") }, Metadata = new { } };

        var response = await PostAsync("RecordingQueue", body);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("721", text, StringComparison.Ordinal);
        Assert.DoesNotContain("721 234", _app.Logs.AllText, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> PostAsync(string function, object body) =>
        _app.Http.PostAsJsonAsync(new Uri("/" + function, UriKind.Relative), body);
}
