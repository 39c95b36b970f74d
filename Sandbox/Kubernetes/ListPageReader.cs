using System.Buffers;
using System.Text.Json;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// Reads a list response as it streams in: the top-level <c>metadata</c> is kept and each element of <c>items</c> is
/// parsed on its own, so memory holds one item (at most the cap) rather than the page. An item over the cap is
/// skipped without being buffered past it; a malformed item is skipped; neither costs the rest of the page.
/// </summary>
internal sealed class ListPageReader : IDisposable
{
    private enum State : byte { BeforeObject, BeforeKey, InKey, AfterKey, BeforeValue, BeforeItem, InValue, AfterValue, Done }

    private enum Key : byte { Other, Metadata, Items }

    private const int MaxKeyBytes = 16;

    private readonly int _maxItemBytes;
    private readonly ResourcePage _page = new();
    private readonly byte[] _key = new byte[MaxKeyBytes];
    private byte[] _capture = ArrayPool<byte>.Shared.Rent(KubernetesInputLimits.ReadChunkBytes);
    private State _state;
    private int _keyLength;
    private bool _keyEscaped;
    private Key _currentKey;
    private bool _inItems;
    private bool _keepValue;
    private JsonValueScanner _scanner;
    private int _captured;
    private long _valueLength;
    private bool _oversized;

    private ListPageReader(int maxItemBytes) => _maxItemBytes = maxItemBytes;

    public static async Task<ResourcePage> ReadAsync(Stream body, int maxItemBytes, CancellationToken cancellationToken)
    {
        using var reader = new ListPageReader(maxItemBytes);
        var chunk = ArrayPool<byte>.Shared.Rent(KubernetesInputLimits.ReadChunkBytes);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                reader.Feed(chunk.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return reader._state == State.Done ? reader._page : throw new JsonException("the list response ended before its closing brace");
    }

    private void Feed(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            var b = data[i];
            if (_state == State.InValue)
            {
                var end = _scanner.Advance(data[i..]);
                var length = end < 0 ? data.Length - i : end;
                Keep(data.Slice(i, length));
                i += length;
                if (end >= 0)
                {
                    FinishValue();
                }

                continue;
            }

            if (_state == State.InKey)
            {
                ReadKeyByte(b);
                i++;
                continue;
            }

            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                i++;
                continue;
            }

            switch (_state, b)
            {
                case (State.BeforeObject, (byte)'{'):
                    _state = State.BeforeKey;
                    break;
                case (State.BeforeKey, (byte)'"'):
                    (_state, _keyLength, _keyEscaped) = (State.InKey, 0, false);
                    break;
                case (State.BeforeKey or State.AfterValue, (byte)'}'):
                    _state = State.Done;
                    break;
                case (State.AfterValue, (byte)','):
                    _state = State.BeforeKey;
                    break;
                case (State.AfterKey, (byte)':'):
                    _state = State.BeforeValue;
                    break;
                case (State.BeforeValue, (byte)'[') when _currentKey == Key.Items:
                    _state = State.BeforeItem;
                    break;
                case (State.BeforeValue, (byte)'}' or (byte)']' or (byte)',' or (byte)':'):
                case (State.BeforeItem, (byte)'}' or (byte)':'):
                    // No value can start here; without this the scanner would end an empty value on the same byte forever.
                    throw new JsonException($"unexpected '{(char)b}' in the list response");
                case (State.BeforeValue, _):
                    StartValue(inItems: false);
                    continue;
                case (State.BeforeItem, (byte)','):
                    break;
                case (State.BeforeItem, (byte)']'):
                    _state = State.AfterValue;
                    break;
                case (State.BeforeItem, _):
                    StartValue(inItems: true);
                    continue;
                default:
                    throw new JsonException($"unexpected '{(char)b}' in the list response");
            }

            i++;
        }
    }

    /// <summary>Top-level keys are short ASCII names; an escaped or long key is simply one the ingress does not read.</summary>
    private void ReadKeyByte(byte b)
    {
        if (_keyEscaped)
        {
            _keyEscaped = false;
            _keyLength = MaxKeyBytes + 1;
            return;
        }

        switch (b)
        {
            case (byte)'\\':
                _keyEscaped = true;
                break;
            case (byte)'"':
                var key = _keyLength <= MaxKeyBytes ? _key.AsSpan(0, _keyLength) : default;
                _currentKey = key.SequenceEqual("items"u8) ? Key.Items : key.SequenceEqual("metadata"u8) ? Key.Metadata : Key.Other;
                _state = State.AfterKey;
                break;
            default:
                if (_keyLength < MaxKeyBytes)
                {
                    _key[_keyLength] = b;
                }

                _keyLength++;
                break;
        }
    }

    private void StartValue(bool inItems)
    {
        (_state, _inItems, _scanner, _captured, _valueLength, _oversized) = (State.InValue, inItems, default, 0, 0, false);
        _keepValue = inItems || _currentKey == Key.Metadata;
    }

    /// <summary>Copies value bytes while they fit under the cap; past it, only counts them.</summary>
    private void Keep(ReadOnlySpan<byte> bytes)
    {
        _valueLength += bytes.Length;
        if (!_keepValue || _oversized)
        {
            return;
        }

        if (_captured + bytes.Length > _maxItemBytes)
        {
            // The first cap bytes stay, so the log can name the object; the rest is never held.
            bytes = bytes[..(_maxItemBytes - _captured)];
            _oversized = true;
        }

        if (_captured + bytes.Length > _capture.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(_capture.Length * 2, _captured + bytes.Length), _maxItemBytes));
            _capture.AsSpan(0, _captured).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_capture);
            _capture = larger;
        }

        bytes.CopyTo(_capture.AsSpan(_captured));
        _captured += bytes.Length;
    }

    private void FinishValue()
    {
        var json = _capture.AsSpan(0, _captured);
        if (_inItems)
        {
            _state = State.BeforeItem;
            if (_oversized)
            {
                _page.Oversized.Add(new OversizedObject(_valueLength, ResourceNameProbe.Find(json, metadataDepth: 1)));
                return;
            }

            try
            {
                if (JsonSerializer.Deserialize(json, SandboxJsonContext.Default.SandboxResource) is { } resource)
                {
                    _page.Items.Add(resource);
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                _page.Malformed.Add(e.Message);
            }

            return;
        }

        _state = State.AfterValue;
        if (_currentKey == Key.Metadata)
        {
            // Metadata says whether more pages follow: without it the list is not known whole.
            _page.Metadata = _oversized ? throw new JsonException("the list metadata is over the size cap")
                : JsonSerializer.Deserialize(json, SandboxJsonContext.Default.ListMetadata);
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_capture);
        _capture = [];
    }
}
