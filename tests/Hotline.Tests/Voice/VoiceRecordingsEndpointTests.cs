using System.Net;
using System.Xml.Linq;
using Hotline.Functions.Voice;
using Hotline.Tests.Infrastructure;
using Twilio.TwiML;

namespace Hotline.Tests.Voice;

/// <summary>The recordings Twilio plays, served by the running app over HTTP.</summary>
public sealed class VoiceRecordingsEndpointTests : IAsyncLifetime
{
    private readonly VoiceCatalogue _catalogue = VoiceCatalogueTests.Catalogue();
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartAsync(configure: setup => setup.Services.AddSingleton(_catalogue));

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_url_a_Play_names_serves_that_recording_as_audio()
    {
        // The URL exactly as the TwiML gives it to Twilio, with the app's address as the public one.
        var play = XDocument.Parse(new VoiceResponse().Append(_catalogue.Prompt(VoicePrompt.Safety, "sq", _app.BaseAddress)).ToString())
            .Root!.Element("Play")!.Value;
        Assert.StartsWith(_app.BaseAddress.AbsoluteUri, play, StringComparison.Ordinal);

        var response = await _app.Http.GetAsync(new Uri(play));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Content.Headers.LastModified);
        var expected = await File.ReadAllBytesAsync(_catalogue.Recording("sq", "Safety")!.Path);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());

        var menuOption = await _app.Http.GetAsync(new Uri("/api/voice/recordings/sq/LanguageMenuOption-7", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, menuOption.StatusCode);
    }

    [Theory]
    [InlineData("/api/voice/recordings/tr/Safety")]                      // a language the line does not serve
    [InlineData("/api/voice/recordings/sq/Welcome")]                     // a prompt that does not exist
    [InlineData("/api/voice/recordings/sq/Safety.mp3")]                  // the file name is not the prompt's name
    [InlineData("/api/voice/recordings/sq/LanguageMenuOption-8")]        // not Albanian's menu key
    [InlineData("/api/voice/recordings/ro/Safety")]                      // Romanian is spoken, not played
    [InlineData("/api/voice/recordings/sq/..%2F..%2Fappsettings.json")]  // out of the folder
    [InlineData("/api/voice/recordings/sq/%2E%2E%2Fsq%2FSafety.mp3")]
    [InlineData("/api/voice/recordings/..%2FTexts/en.json")]
    [InlineData("/api/voice/recordings/%2E%2E/README.md")]
    [InlineData("/api/voice/recordings/sq/..%5C..%5Cappsettings.json")]
    public async Task Anything_but_a_played_recording_is_404(string path)
    {
        var response = await _app.Http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotEqual("audio/mpeg", response.Content.Headers.ContentType?.MediaType);
    }
}
