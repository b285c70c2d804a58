package dev.klcrypt.blockdev;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.luks1.Luks1Header;
import dev.klcrypt.blockdev.luks1.Luks1Keyslot;
import dev.klcrypt.blockdev.luks2.Luks2Digest;
import dev.klcrypt.blockdev.luks2.Luks2Header;
import dev.klcrypt.blockdev.luks2.Luks2HeaderReader;
import dev.klcrypt.blockdev.luks2.Luks2Keyslot;
import dev.klcrypt.blockdev.luks2.Luks2Metadata;
import dev.klcrypt.blockdev.luks2.Luks2MetadataCodec;
import dev.klcrypt.blockdev.luks2.Luks2Segment;
import java.util.HexFormat;

/**
 * luksDump-style text and JSON for both LUKS versions. Shows only what cryptsetup's dump shows: no
 * key material.
 */
final class LuksDump {
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  private LuksDump() {}

  static String luks2(Luks2HeaderReader.Result r) {
    Luks2Header h = r.header();
    Luks2Metadata md = h.metadata();
    StringBuilder s = new StringBuilder();
    s.append("LUKS header information\n");
    s.append("Version:       \t2\n");
    s.append("Epoch:         \t").append(h.seqid()).append('\n');
    s.append("Metadata area: \t").append(h.hdrSize()).append(" [bytes]\n");
    s.append("Keyslots area: \t").append(md.config().keyslotsSize()).append(" [bytes]\n");
    s.append("UUID:          \t").append(h.uuid()).append('\n');
    s.append("Label:         \t")
        .append(h.label().isEmpty() ? "(no label)" : h.label())
        .append('\n');
    s.append("Subsystem:     \t")
        .append(h.subsystem().isEmpty() ? "(no subsystem)" : h.subsystem())
        .append('\n');
    s.append("Flags:       \t")
        .append(
            md.config().flags().isEmpty() ? "(no flags)" : String.join(" ", md.config().flags()))
        .append('\n');
    if (!md.config().mandatoryRequirements().isEmpty()) {
      s.append("Requirements:\t")
          .append(String.join(" ", md.config().mandatoryRequirements()))
          .append('\n');
    }
    if (r.needsRepair()) {
      s.append("Header copies: \t")
          .append(r.primaryDamage() != null ? "primary damaged: " + r.primaryDamage() : "")
          .append(r.secondaryDamage() != null ? "secondary damaged: " + r.secondaryDamage() : "")
          .append(" (run repair)\n");
    }
    s.append("\nData segments:\n");
    for (Luks2Segment seg : md.segments().values()) {
      s.append("  ").append(seg.id()).append(": ").append(seg.type()).append('\n');
      s.append("\toffset: ").append(seg.offset()).append(" [bytes]\n");
      s.append("\tlength: ")
          .append(seg.dynamicSize() ? "(whole device)" : seg.size() + " [bytes]")
          .append('\n');
      if (seg.type().equals("crypt")) {
        s.append("\tcipher: ").append(seg.encryption()).append('\n');
        s.append("\tsector: ").append(seg.sectorSize()).append(" [bytes]\n");
      }
      s.append('\n');
    }
    s.append("Keyslots:\n");
    for (Luks2Keyslot k : md.keyslots().values()) {
      s.append("  ").append(k.id()).append(": ").append(k.type()).append('\n');
      if (k.type().equals("luks2")) {
        s.append("\tKey:        ").append(k.keySize() * 8).append(" bits\n");
        s.append("\tPriority:   ").append(priority(k.effectivePriority())).append('\n');
        s.append("\tCipher:     ").append(k.areaEncryption()).append('\n');
        s.append("\tCipher key: ").append(k.areaKeySize() * 8).append(" bits\n");
        s.append("\tPBKDF:      ").append(k.kdfType()).append('\n');
        if (k.kdfType().equals("pbkdf2")) {
          s.append("\tHash:       ").append(k.kdfHash()).append('\n');
          s.append("\tIterations: ").append(k.iterations()).append('\n');
        } else {
          s.append("\tTime cost:  ").append(k.time()).append('\n');
          s.append("\tMemory:     ").append(k.memory()).append('\n');
          s.append("\tThreads:    ").append(k.cpus()).append('\n');
        }
        s.append("\tSalt:       ").append(hex(k.kdfSalt())).append('\n');
        s.append("\tAF stripes: ").append(k.stripes()).append('\n');
        s.append("\tAF hash:    ").append(k.afHash()).append('\n');
      }
      s.append("\tArea offset:").append(k.areaOffset()).append(" [bytes]\n");
      s.append("\tArea length:").append(k.areaSize()).append(" [bytes]\n");
      md.digestFor(k.id()).ifPresent(d -> s.append("\tDigest ID:  ").append(d.id()).append('\n'));
    }
    s.append("Tokens:\n");
    md.json()
        .get("tokens")
        .properties()
        .forEach(
            e ->
                s.append("  ")
                    .append(e.getKey())
                    .append(": ")
                    .append(e.getValue().path("type").asText())
                    .append('\n'));
    s.append("Digests:\n");
    for (Luks2Digest d : md.digests().values()) {
      s.append("  ").append(d.id()).append(": ").append(d.type()).append('\n');
      if (d.type().equals("pbkdf2")) {
        s.append("\tHash:       ").append(d.hash()).append('\n');
        s.append("\tIterations: ").append(d.iterations()).append('\n');
        s.append("\tSalt:       ").append(hex(d.salt())).append('\n');
        s.append("\tDigest:     ").append(hex(d.digest())).append('\n');
      }
    }
    return s.toString();
  }

  static String luks2Json(Luks2Header h) {
    return Luks2MetadataCodec.toPrettyJson(h.metadata());
  }

  static String luks1(Luks1Header h) {
    StringBuilder s = new StringBuilder();
    s.append("LUKS header information\n\n");
    s.append("Version:       \t1\n");
    s.append("Cipher name:   \t").append(h.cipherName()).append('\n');
    s.append("Cipher mode:   \t").append(h.cipherMode()).append('\n');
    s.append("Hash spec:     \t").append(h.hashSpec()).append('\n');
    s.append("Payload offset:\t").append(h.payloadOffset()).append('\n');
    s.append("MK bits:       \t").append(h.keyBytes() * 8).append('\n');
    s.append("MK digest:     \t").append(hex(h.mkDigest())).append('\n');
    s.append("MK salt:       \t").append(hex(h.mkDigestSalt())).append('\n');
    s.append("MK iterations: \t").append(h.mkDigestIterations()).append('\n');
    s.append("UUID:          \t").append(h.uuid()).append("\n\n");
    for (Luks1Keyslot k : h.keyslots()) {
      s.append("Key Slot ")
          .append(k.index())
          .append(": ")
          .append(k.active() ? "ENABLED" : "DISABLED")
          .append('\n');
      if (k.active()) {
        s.append("\tIterations:         \t").append(k.iterations()).append('\n');
        s.append("\tSalt:               \t").append(hex(k.salt())).append('\n');
        s.append("\tKey material offset:\t").append(k.keyMaterialOffset()).append('\n');
        s.append("\tAF stripes:            \t").append(k.stripes()).append('\n');
      }
    }
    return s.toString();
  }

  static String luks1Json(Luks1Header h) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("version", 1);
    o.put("cipher_name", h.cipherName());
    o.put("cipher_mode", h.cipherMode());
    o.put("hash_spec", h.hashSpec());
    o.put("payload_offset", h.payloadOffset());
    o.put("key_bytes", h.keyBytes());
    o.put("mk_digest_iterations", h.mkDigestIterations());
    o.put("uuid", h.uuid());
    ObjectNode slots = o.putObject("keyslots");
    for (Luks1Keyslot k : h.keyslots()) {
      ObjectNode ks = slots.putObject(Integer.toString(k.index()));
      ks.put("active", k.active());
      ks.put("iterations", k.iterations());
      ks.put("key_material_offset", k.keyMaterialOffset());
      ks.put("stripes", k.stripes());
    }
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String priority(int p) {
    return switch (p) {
      case 0 -> "ignored";
      case 2 -> "preferred";
      default -> "normal";
    };
  }

  private static String hex(byte[] b) {
    HexFormat f = HexFormat.ofDelimiter(" ");
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < b.length; i += 16) {
      if (i > 0) {
        s.append("\n\t            ");
      }
      s.append(f.formatHex(b, i, Math.min(b.length, i + 16)));
    }
    return s.toString();
  }
}
