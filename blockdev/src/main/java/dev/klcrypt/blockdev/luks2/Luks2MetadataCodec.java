package dev.klcrypt.blockdev.luks2;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.HeaderFormatException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The one place where LUKS2 JSON text and {@link Luks2Metadata} are converted, with cryptsetup's
 * validation rules: mandatory objects, decimal-string u64s, ids 0..31, keyslot areas inside the
 * keyslots area and not overlapping each other or the data, digests that reference existing
 * objects. Every failure is a {@link HeaderFormatException} naming the JSON path.
 */
public final class Luks2MetadataCodec {
  static final int MAX_KEYSLOTS = 32;
  static final int MAX_SEGMENTS = 32;
  static final int MAX_TOKENS = 32;
  static final int MAX_DIGESTS = 8;
  static final long MAX_KEYSLOTS_SIZE = 128L * 1024 * 1024;

  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  static {
    MAPPER
        .getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
  }

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Luks2MetadataCodec() {}

  /**
   * Parses and validates JSON metadata.
   *
   * @param hdrSize the binary header's hdr_size
   * @param at the JSON area's offset in the image (for messages)
   */
  public static Luks2Metadata parse(String json, long hdrSize, long at)
      throws HeaderFormatException {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new HeaderFormatException(at, "json", "malformed JSON: " + e.getOriginalMessage(), e);
    }
    if (tree == null || !tree.isObject()) {
      throw new HeaderFormatException(at, "json", "top level is not a JSON object");
    }
    return fromTree((ObjectNode) tree, hdrSize, at);
  }

  /** Compact JSON text as cryptsetup writes it. */
  public static String toJson(Luks2Metadata m) {
    try {
      return MAPPER.writeValueAsString(m.rootForCodec());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  /** Pretty-printed JSON (for dumps). */
  public static String toPrettyJson(Luks2Metadata m) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m.rootForCodec());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  /**
   * Fresh metadata for luksFormat: one crypt segment, no keyslots, a digest without keyslots yet.
   */
  public static Luks2Metadata initial(
      long hdrSize, long keyslotsSize, Luks2Segment segment, Luks2Digest digest, List<String> flags)
      throws HeaderFormatException {
    ObjectNode root = NODES.objectNode();
    root.putObject("keyslots");
    root.putObject("tokens");
    ObjectNode segs = root.putObject("segments");
    segs.set(Integer.toString(segment.id()), segmentNode(segment));
    ObjectNode digs = root.putObject("digests");
    digs.set(Integer.toString(digest.id()), digestNode(digest));
    ObjectNode config = root.putObject("config");
    config.put("json_size", Long.toString(hdrSize - Luks2BinaryHeader.BINARY_BYTES));
    config.put("keyslots_size", Long.toString(keyslotsSize));
    if (!flags.isEmpty()) {
      ArrayNode f = config.putArray("flags");
      flags.forEach(f::add);
    }
    return fromTree(root, hdrSize, 0);
  }

  /** Adds (or replaces) a keyslot and lists it in digest {@code digestId}. */
  public static Luks2Metadata withKeyslot(
      Luks2Metadata m, Luks2Keyslot ks, int digestId, long hdrSize) throws HeaderFormatException {
    ObjectNode root = m.rootForCodec().deepCopy();
    ObjectNode keyslots = (ObjectNode) root.get("keyslots");
    keyslots.set(Integer.toString(ks.id()), keyslotNode(ks));
    sortMembers(keyslots);
    ObjectNode dig = (ObjectNode) root.get("digests").get(Integer.toString(digestId));
    ArrayNode list = (ArrayNode) dig.get("keyslots");
    boolean present = false;
    for (JsonNode n : list) {
      present |= n.asText().equals(Integer.toString(ks.id()));
    }
    if (!present) {
      list.add(Integer.toString(ks.id()));
      sortArray(list);
    }
    return fromTree(root, hdrSize, 0);
  }

  /** Removes a keyslot and every digest's and token's reference to it. */
  public static Luks2Metadata withoutKeyslot(Luks2Metadata m, int id, long hdrSize)
      throws HeaderFormatException {
    ObjectNode root = m.rootForCodec().deepCopy();
    String key = Integer.toString(id);
    ((ObjectNode) root.get("keyslots")).remove(key);
    for (String section : List.of("digests", "tokens")) {
      for (JsonNode obj : root.get(section)) {
        JsonNode ks = obj.get("keyslots");
        if (ks instanceof ArrayNode arr) {
          for (Iterator<JsonNode> it = arr.elements(); it.hasNext(); ) {
            if (it.next().asText().equals(key)) {
              it.remove();
            }
          }
        }
      }
    }
    return fromTree(root, hdrSize, 0);
  }

  /** Sets or clears a persistent config flag such as {@code allow-discards}. */
  public static Luks2Metadata withFlag(Luks2Metadata m, String flag, boolean on, long hdrSize)
      throws HeaderFormatException {
    ObjectNode root = m.rootForCodec().deepCopy();
    ObjectNode config = (ObjectNode) root.get("config");
    List<String> flags = new ArrayList<>(m.config().flags());
    flags.remove(flag);
    if (on) {
      flags.add(flag);
    }
    if (flags.isEmpty()) {
      config.remove("flags");
    } else {
      ArrayNode arr = NODES.arrayNode();
      flags.forEach(arr::add);
      config.set("flags", arr);
    }
    return fromTree(root, hdrSize, 0);
  }

  // ---- tree -> model
  // -------------------------------------------------------------------------------------------

  private static Luks2Metadata fromTree(ObjectNode root, long hdrSize, long at)
      throws HeaderFormatException {
    ObjectNode keyslotsObj = obj(root, "keyslots", "", at);
    ObjectNode tokensObj = obj(root, "tokens", "", at);
    ObjectNode segmentsObj = obj(root, "segments", "", at);
    ObjectNode digestsObj = obj(root, "digests", "", at);
    ObjectNode configObj = obj(root, "config", "", at);

    Luks2Config config = config(configObj, hdrSize, at);
    long areaStart = 2 * hdrSize;
    long areaEnd = areaStart + config.keyslotsSize();

    SortedMap<Integer, Luks2Keyslot> keyslots = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : members(keyslotsObj, "keyslots", MAX_KEYSLOTS, at)) {
      int id = id(e.getKey(), "keyslots", MAX_KEYSLOTS, at);
      Luks2Keyslot ks = keyslot(id, e.getValue(), at);
      String p = "keyslots." + id + ".area";
      if (ks.areaOffset() < areaStart
          || ks.areaOffset() + ks.areaSize() > areaEnd
          || ks.areaSize() <= 0) {
        throw new HeaderFormatException(
            at,
            p,
            "area "
                + ks.areaOffset()
                + "+"
                + ks.areaSize()
                + " lies outside the keyslots area "
                + areaStart
                + ".."
                + areaEnd);
      }
      for (Luks2Keyslot other : keyslots.values()) {
        if (ks.areaOffset() < other.areaOffset() + other.areaSize()
            && other.areaOffset() < ks.areaOffset() + ks.areaSize()) {
          throw new HeaderFormatException(at, p, "overlaps the area of keyslot " + other.id());
        }
      }
      keyslots.put(id, ks);
    }

    for (Map.Entry<String, JsonNode> e : members(tokensObj, "tokens", MAX_TOKENS, at)) {
      int id = id(e.getKey(), "tokens", MAX_TOKENS, at);
      String p = "tokens." + id;
      ObjectNode t = asObj(e.getValue(), p, at);
      str(t, "type", p, at);
      for (int ref : idList(t, "keyslots", p, at)) {
        if (!keyslots.containsKey(ref)) {
          throw new HeaderFormatException(at, p + ".keyslots", "refers to missing keyslot " + ref);
        }
      }
    }

    SortedMap<Integer, Luks2Segment> segments = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : members(segmentsObj, "segments", MAX_SEGMENTS, at)) {
      int id = id(e.getKey(), "segments", MAX_SEGMENTS, at);
      Luks2Segment s = segment(id, e.getValue(), at);
      if (s.offset() < areaEnd) {
        for (Luks2Keyslot ks : keyslots.values()) {
          if (ks.areaOffset() + ks.areaSize() > s.offset()) {
            throw new HeaderFormatException(
                at,
                "keyslots." + ks.id() + ".area",
                "keyslot area "
                    + ks.areaOffset()
                    + "+"
                    + ks.areaSize()
                    + " overlaps data segment "
                    + id
                    + " at offset "
                    + s.offset());
          }
        }
        if (s.offset() < areaStart) {
          throw new HeaderFormatException(
              at,
              "segments." + id + ".offset",
              "data offset "
                  + s.offset()
                  + " overlaps the LUKS2 header area ("
                  + areaStart
                  + " bytes)");
        }
      }
      segments.put(id, s);
    }

    SortedMap<Integer, Luks2Digest> digests = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : members(digestsObj, "digests", MAX_DIGESTS, at)) {
      int id = id(e.getKey(), "digests", MAX_DIGESTS, at);
      Luks2Digest d = digest(id, e.getValue(), at);
      for (int ref : d.keyslots()) {
        if (!keyslots.containsKey(ref)) {
          throw new HeaderFormatException(
              at, "digests." + id + ".keyslots", "refers to missing keyslot " + ref);
        }
      }
      for (int ref : d.segments()) {
        if (!segments.containsKey(ref)) {
          throw new HeaderFormatException(
              at, "digests." + id + ".segments", "refers to missing segment " + ref);
        }
      }
      digests.put(id, d);
    }
    return new Luks2Metadata(root, keyslots, segments, digests, config);
  }

  private static Luks2Config config(ObjectNode c, long hdrSize, long at)
      throws HeaderFormatException {
    long jsonSize = u64(c, "json_size", "config", at);
    if (jsonSize != hdrSize - Luks2BinaryHeader.BINARY_BYTES) {
      throw new HeaderFormatException(
          at, "config.json_size", jsonSize + " does not match hdr_size " + hdrSize + " - 4096");
    }
    long keyslotsSize = u64(c, "keyslots_size", "config", at);
    if (keyslotsSize % 4096 != 0 || keyslotsSize > MAX_KEYSLOTS_SIZE) {
      throw new HeaderFormatException(
          at, "config.keyslots_size", keyslotsSize + " is not a multiple of 4096 up to 128 MiB");
    }
    List<String> flags = stringList(c, "flags", "config", at);
    List<String> req = List.of();
    JsonNode r = c.get("requirements");
    if (r != null) {
      ObjectNode ro = asObj(r, "config.requirements", at);
      req = stringList(ro, "mandatory", "config.requirements", at);
    }
    return new Luks2Config(jsonSize, keyslotsSize, flags, req);
  }

  private static Luks2Keyslot keyslot(int id, JsonNode n, long at) throws HeaderFormatException {
    String p = "keyslots." + id;
    ObjectNode o = asObj(n, p, at);
    String type = str(o, "type", p, at);
    ObjectNode area = obj(o, "area", p, at);
    String ap = p + ".area";
    String areaType = str(area, "type", ap, at);
    long areaOffset = u64(area, "offset", ap, at);
    long areaSize = u64(area, "size", ap, at);
    String areaEnc = area.has("encryption") ? str(area, "encryption", ap, at) : "";
    int areaKeySize = area.has("key_size") ? intField(area, "key_size", ap, at, 1, 1024) : 0;
    if (!type.equals("luks2")) {
      return new Luks2Keyslot(
          id,
          type,
          0,
          -1,
          "",
          0,
          "",
          areaType,
          areaOffset,
          areaSize,
          areaEnc,
          areaKeySize,
          "",
          "",
          0,
          0,
          0,
          0,
          new byte[0]);
    }
    if (!areaType.equals("raw")) {
      throw new HeaderFormatException(
          at, ap + ".type", "luks2 keyslots need a raw area, found " + areaType);
    }
    str(area, "encryption", ap, at);
    intField(area, "key_size", ap, at, 1, 1024);
    int keySize = intField(o, "key_size", p, at, 1, 1024);
    int priority = o.has("priority") ? intField(o, "priority", p, at, 0, 2) : -1;
    ObjectNode af = obj(o, "af", p, at);
    String afType = str(af, "type", p + ".af", at);
    if (!afType.equals("luks1")) {
      throw new HeaderFormatException(at, p + ".af.type", "unknown AF type " + afType);
    }
    int stripes = intField(af, "stripes", p + ".af", at, 1, 1 << 20);
    String afHash = str(af, "hash", p + ".af", at);
    long material = ((long) keySize * stripes + 511) / 512 * 512;
    if (material > areaSize) {
      throw new HeaderFormatException(
          at,
          ap + ".size",
          "area of " + areaSize + " bytes cannot hold " + material + " bytes of key material");
    }
    ObjectNode kdf = obj(o, "kdf", p, at);
    String kp = p + ".kdf";
    String kdfType = str(kdf, "type", kp, at);
    byte[] salt = b64(kdf, "salt", kp, at);
    String kdfHash = "";
    int iterations = 0;
    int time = 0;
    int memory = 0;
    int cpus = 0;
    switch (kdfType) {
      case "pbkdf2" -> {
        kdfHash = str(kdf, "hash", kp, at);
        iterations = intField(kdf, "iterations", kp, at, 1, Integer.MAX_VALUE);
      }
      case "argon2i", "argon2id" -> {
        time = intField(kdf, "time", kp, at, 1, Integer.MAX_VALUE);
        memory = intField(kdf, "memory", kp, at, 8, Integer.MAX_VALUE);
        cpus = intField(kdf, "cpus", kp, at, 1, 1 << 24);
      }
      default -> {
        // kept as-is; unlocking refuses it with a message naming the type
      }
    }
    return new Luks2Keyslot(
        id,
        type,
        keySize,
        priority,
        afType,
        stripes,
        afHash,
        areaType,
        areaOffset,
        areaSize,
        areaEnc,
        areaKeySize,
        kdfType,
        kdfHash,
        iterations,
        time,
        memory,
        cpus,
        salt);
  }

  private static Luks2Segment segment(int id, JsonNode n, long at) throws HeaderFormatException {
    String p = "segments." + id;
    ObjectNode o = asObj(n, p, at);
    String type = str(o, "type", p, at);
    long offset = u64(o, "offset", p, at);
    JsonNode sz = o.get("size");
    long size;
    if (sz != null && sz.isTextual() && sz.asText().equals("dynamic")) {
      size = -1;
    } else {
      size = u64(o, "size", p, at);
    }
    List<String> flags = stringList(o, "flags", p, at);
    if (!type.equals("crypt")) {
      return new Luks2Segment(id, type, offset, size, 0, "", 0, false, flags);
    }
    long ivTweak = u64(o, "iv_tweak", p, at);
    String enc = str(o, "encryption", p, at);
    int sectorSize = intField(o, "sector_size", p, at, 512, 4096);
    if (Integer.bitCount(sectorSize) != 1) {
      throw new HeaderFormatException(
          at, p + ".sector_size", "must be 512, 1024, 2048 or 4096, found " + sectorSize);
    }
    if (offset % sectorSize != 0) {
      throw new HeaderFormatException(
          at, p + ".offset", offset + " is not a multiple of the sector size " + sectorSize);
    }
    return new Luks2Segment(
        id, type, offset, size, ivTweak, enc, sectorSize, o.has("integrity"), flags);
  }

  private static Luks2Digest digest(int id, JsonNode n, long at) throws HeaderFormatException {
    String p = "digests." + id;
    ObjectNode o = asObj(n, p, at);
    String type = str(o, "type", p, at);
    List<Integer> ks = idList(o, "keyslots", p, at);
    List<Integer> segs = idList(o, "segments", p, at);
    if (!type.equals("pbkdf2")) {
      return new Luks2Digest(id, type, ks, segs, "", 0, new byte[0], new byte[0]);
    }
    String hash = str(o, "hash", p, at);
    int iterations = intField(o, "iterations", p, at, 1, Integer.MAX_VALUE);
    byte[] salt = b64(o, "salt", p, at);
    byte[] digest = b64(o, "digest", p, at);
    if (digest.length == 0 || digest.length > 64) {
      throw new HeaderFormatException(
          at, p + ".digest", "length " + digest.length + " is not 1..64 bytes");
    }
    return new Luks2Digest(id, type, ks, segs, hash, iterations, salt, digest);
  }

  // ---- model -> tree
  // -------------------------------------------------------------------------------------------

  static ObjectNode keyslotNode(Luks2Keyslot k) {
    ObjectNode o = NODES.objectNode();
    o.put("type", k.type());
    o.put("key_size", k.keySize());
    if (k.priority() >= 0) {
      o.put("priority", k.priority());
    }
    ObjectNode af = o.putObject("af");
    af.put("type", k.afType());
    af.put("stripes", k.stripes());
    af.put("hash", k.afHash());
    ObjectNode area = o.putObject("area");
    area.put("type", k.areaType());
    area.put("offset", Long.toString(k.areaOffset()));
    area.put("size", Long.toString(k.areaSize()));
    area.put("encryption", k.areaEncryption());
    area.put("key_size", k.areaKeySize());
    ObjectNode kdf = o.putObject("kdf");
    kdf.put("type", k.kdfType());
    if (k.kdfType().equals("pbkdf2")) {
      kdf.put("hash", k.kdfHash());
      kdf.put("iterations", k.iterations());
    } else {
      kdf.put("time", k.time());
      kdf.put("memory", k.memory());
      kdf.put("cpus", k.cpus());
    }
    kdf.put("salt", Base64.getEncoder().encodeToString(k.kdfSalt()));
    return o;
  }

  static ObjectNode segmentNode(Luks2Segment s) {
    ObjectNode o = NODES.objectNode();
    o.put("type", s.type());
    o.put("offset", Long.toString(s.offset()));
    o.put("size", s.dynamicSize() ? "dynamic" : Long.toString(s.size()));
    o.put("iv_tweak", Long.toString(s.ivTweak()));
    o.put("encryption", s.encryption());
    o.put("sector_size", s.sectorSize());
    if (!s.flags().isEmpty()) {
      ArrayNode f = o.putArray("flags");
      s.flags().forEach(f::add);
    }
    return o;
  }

  static ObjectNode digestNode(Luks2Digest d) {
    ObjectNode o = NODES.objectNode();
    o.put("type", d.type());
    ArrayNode ks = o.putArray("keyslots");
    d.keyslots().forEach(i -> ks.add(Integer.toString(i)));
    ArrayNode segs = o.putArray("segments");
    d.segments().forEach(i -> segs.add(Integer.toString(i)));
    o.put("hash", d.hash());
    o.put("iterations", d.iterations());
    o.put("salt", Base64.getEncoder().encodeToString(d.salt()));
    o.put("digest", Base64.getEncoder().encodeToString(d.digest()));
    return o;
  }

  // ---- field helpers
  // -------------------------------------------------------------------------------------------

  private static List<Map.Entry<String, JsonNode>> members(
      ObjectNode o, String path, int max, long at) throws HeaderFormatException {
    List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
    o.properties().forEach(out::add);
    if (out.size() > max) {
      throw new HeaderFormatException(
          at, path, out.size() + " entries, at most " + max + " allowed");
    }
    return out;
  }

  private static int id(String name, String path, int max, long at) throws HeaderFormatException {
    if (name.isEmpty()
        || name.length() > 3
        || !name.chars().allMatch(c -> c >= '0' && c <= '9')
        || (name.length() > 1 && name.charAt(0) == '0')) {
      throw new HeaderFormatException(at, path + "." + name, "member name is not a decimal id");
    }
    int id = Integer.parseInt(name);
    if (id >= max) {
      throw new HeaderFormatException(at, path + "." + name, "id must be below " + max);
    }
    return id;
  }

  private static ObjectNode obj(ObjectNode parent, String name, String path, long at)
      throws HeaderFormatException {
    return asObj(parent.get(name), path.isEmpty() ? name : path + "." + name, at);
  }

  private static ObjectNode asObj(JsonNode n, String path, long at) throws HeaderFormatException {
    if (n == null) {
      throw new HeaderFormatException(at, path, "missing");
    }
    if (!(n instanceof ObjectNode o)) {
      throw new HeaderFormatException(at, path, "is not a JSON object");
    }
    return o;
  }

  private static String str(ObjectNode o, String name, String path, long at)
      throws HeaderFormatException {
    JsonNode n = o.get(name);
    if (n == null) {
      throw new HeaderFormatException(at, path + "." + name, "missing");
    }
    if (!n.isTextual()) {
      throw new HeaderFormatException(at, path + "." + name, "is not a string");
    }
    return n.asText();
  }

  private static long u64(ObjectNode o, String name, String path, long at)
      throws HeaderFormatException {
    String s = str(o, name, path, at);
    if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new HeaderFormatException(
          at, path + "." + name, "is not a decimal u64 string below 2^63: \"" + clip(s) + "\"");
    }
    return Long.parseLong(s);
  }

  private static int intField(ObjectNode o, String name, String path, long at, int min, int max)
      throws HeaderFormatException {
    JsonNode n = o.get(name);
    if (n == null) {
      throw new HeaderFormatException(at, path + "." + name, "missing");
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new HeaderFormatException(at, path + "." + name, "is not an integer");
    }
    int v = n.intValue();
    if (v < min || v > max) {
      throw new HeaderFormatException(at, path + "." + name, v + " is outside " + min + ".." + max);
    }
    return v;
  }

  private static byte[] b64(ObjectNode o, String name, String path, long at)
      throws HeaderFormatException {
    String s = str(o, name, path, at);
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new HeaderFormatException(at, path + "." + name, "is not valid base64", e);
    }
  }

  private static List<String> stringList(ObjectNode o, String name, String path, long at)
      throws HeaderFormatException {
    JsonNode n = o.get(name);
    if (n == null) {
      return List.of();
    }
    if (!n.isArray()) {
      throw new HeaderFormatException(at, path + "." + name, "is not an array");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new HeaderFormatException(at, path + "." + name, "holds a non-string element");
      }
      out.add(e.asText());
    }
    return out;
  }

  private static List<Integer> idList(ObjectNode o, String name, String path, long at)
      throws HeaderFormatException {
    JsonNode n = o.get(name);
    if (n == null || !n.isArray()) {
      throw new HeaderFormatException(at, path + "." + name, "missing or not an array");
    }
    List<Integer> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new HeaderFormatException(at, path + "." + name, "holds a non-string element");
      }
      out.add(id(e.asText(), path + "." + name, 64, at));
    }
    return out;
  }

  private static void sortMembers(ObjectNode o) {
    TreeMap<Integer, JsonNode> sorted = new TreeMap<>();
    o.properties().forEach(e -> sorted.put(Integer.parseInt(e.getKey()), e.getValue()));
    o.removeAll();
    sorted.forEach((k, v) -> o.set(Integer.toString(k), v));
  }

  private static void sortArray(ArrayNode a) {
    List<Integer> ids = new ArrayList<>();
    a.forEach(n -> ids.add(Integer.parseInt(n.asText())));
    ids.sort(null);
    a.removeAll();
    ids.forEach(i -> a.add(Integer.toString(i)));
  }

  private static String clip(String s) {
    return s.length() > 24 ? s.substring(0, 24) + "..." : s;
  }
}
