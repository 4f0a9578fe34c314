namespace Hotline.Tests.Infrastructure;

/// <summary>Waits for something asynchronous to become true, failing with a message after a generous deadline.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await probe();
            if (value is not null)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> probe, string what, TimeSpan? within = null) =>
        ReturnsAsync<object>(async () => await probe() ? new object() : null, what, within);

    public static Task TrueAsync(Func<bool> probe, string what, TimeSpan? within = null) =>
        TrueAsync(() => Task.FromResult(probe()), what, within);
}
