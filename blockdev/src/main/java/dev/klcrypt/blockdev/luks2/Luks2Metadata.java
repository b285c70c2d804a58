package dev.klcrypt.blockdev.luks2;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * The LUKS2 JSON metadata: typed views of keyslots, segments, digests and config, plus the whole
 * JSON tree so that objects klcrypt does not model (tokens, unknown keyslot types, vendor fields)
 * survive a rewrite verbatim. Immutable: changes go through {@link Luks2MetadataCodec}, which
 * re-validates.
 */
public final class Luks2Metadata {
  private final ObjectNode root;
  private final SortedMap<Integer, Luks2Keyslot> keyslots;
  private final SortedMap<Integer, Luks2Segment> segments;
  private final SortedMap<Integer, Luks2Digest> digests;
  private final Luks2Config config;

  Luks2Metadata(
      ObjectNode root,
      SortedMap<Integer, Luks2Keyslot> keyslots,
      SortedMap<Integer, Luks2Segment> segments,
      SortedMap<Integer, Luks2Digest> digests,
      Luks2Config config) {
    this.root = root;
    this.keyslots = keyslots;
    this.segments = segments;
    this.digests = digests;
    this.config = config;
  }

  /** A copy of the JSON tree. */
  public ObjectNode json() {
    return root.deepCopy();
  }

  ObjectNode rootForCodec() {
    return root;
  }

  public Map<Integer, Luks2Keyslot> keyslots() {
    return keyslots;
  }

  public Map<Integer, Luks2Segment> segments() {
    return segments;
  }

  public Map<Integer, Luks2Digest> digests() {
    return digests;
  }

  public Luks2Config config() {
    return config;
  }

  /** The data segment: the lowest-numbered segment of type crypt. */
  public Optional<Luks2Segment> cryptSegment() {
    return segments.values().stream().filter(s -> s.type().equals("crypt")).findFirst();
  }

  /** The digest that covers {@code keyslot}. */
  public Optional<Luks2Digest> digestFor(int keyslot) {
    return digests.values().stream().filter(d -> d.keyslots().contains(keyslot)).findFirst();
  }

  /** Bytes of the area that holds binary headers, JSON and keyslots: 2·hdr_size + keyslots_size. */
  public long metadataEnd(long hdrSize) {
    return 2 * hdrSize + config.keyslotsSize();
  }
}
