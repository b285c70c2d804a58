package dev.klcrypt.blockdev.luks2;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.HeaderFormatException;
import dev.klcrypt.blockdev.KdfMemoryLimitException;
import dev.klcrypt.blockdev.LuksException;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.UnsupportedFormatException;
import dev.klcrypt.blockdev.WrongPassphraseException;
import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.blockdev.kdf.Kdf;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.keyslot.KeyMaterial;
import dev.klcrypt.blockdev.keyslot.KeyslotCipher;
import dev.klcrypt.blockdev.keyslot.Unlocked;
import dev.klcrypt.blockdev.store.BackingStore;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.blockdev.volume.VolumeInfo;
import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** LUKS2 operations on a backing store: format, unlock, open, keyslot management, repair, flags. */
public final class Luks2Image {
  /** cryptsetup 2.6 defaults. */
  public static final long DEFAULT_HDR_SIZE = 16384;

  public static final long DEFAULT_KEYSLOTS_SIZE = 16744448;
  public static final long DEFAULT_DATA_OFFSET = 16L * 1024 * 1024;
  public static final int STRIPES = 4000;
  public static final String FLAG_ALLOW_DISCARDS = "allow-discards";

  /**
   * Requirements klcrypt knows how to honour: none (any mandatory requirement refuses activation).
   */
  private static final Set<String> KNOWN_REQUIREMENTS = Set.of();

  private static final SecureRandom RANDOM = new SecureRandom();

  private Luks2Image() {}

  /** Creates a LUKS2 header with keyslot 0 for {@code passphrase} on {@code store}. */
  public static void format(
      BackingStore store, FormatSpec spec, Passphrase passphrase, KeyLockerCpu cpu)
      throws LuksException {
    long size = store.size();
    long hdrSize = DEFAULT_HDR_SIZE;
    long dataOffset = DEFAULT_DATA_OFFSET;
    int keyBytes = spec.keyBits() / 8;
    if (size <= dataOffset) {
      throw new HeaderFormatException(
          0,
          "image size",
          "image of "
              + size
              + " bytes is too small for a LUKS2 header area of "
              + dataOffset
              + " bytes plus data");
    }
    int sectorSize = spec.sectorSize();
    if (sectorSize == 0) {
      sectorSize = (size - dataOffset) % 4096 == 0 ? 4096 : 512;
    }
    if (size - dataOffset < sectorSize) {
      throw new HeaderFormatException(
          0, "image size", "no room for one " + sectorSize + "-byte data sector");
    }
    String uuid = spec.uuid() == null ? UUID.randomUUID().toString() : checkUuid(spec.uuid());
    KdfSpec kdf = Kdf.resolve(spec.kdf());
    int digestIter =
        explicitCosts(spec.kdf())
            ? Kdf.MIN_PBKDF2_ITERATIONS
            : Kdf.benchmarkPbkdf2(HashAlgorithm.SHA256, 125);
    byte[] digestSalt = random(32);

    try (ClearKey vk = randomKey(keyBytes)) {
      byte[] digest = Kdf.pbkdf2OfKey(vk, HashAlgorithm.SHA256, digestSalt, digestIter, 32);
      Luks2Segment seg =
          new Luks2Segment(
              0,
              "crypt",
              dataOffset,
              -1,
              0,
              KeyslotCipher.AES_XTS_PLAIN64,
              sectorSize,
              false,
              List.of());
      Luks2Digest dig =
          new Luks2Digest(
              0, "pbkdf2", List.of(), List.of(0), "sha256", digestIter, digestSalt, digest);
      Luks2Metadata md =
          Luks2MetadataCodec.initial(
              hdrSize,
              DEFAULT_KEYSLOTS_SIZE,
              seg,
              dig,
              spec.allowDiscards() ? List.of(FLAG_ALLOW_DISCARDS) : List.of());
      zero(store, 0, dataOffset);
      long areaSize = areaSize(keyBytes);
      Luks2Keyslot ks = newKeyslot(0, kdf, keyBytes, 2 * hdrSize, areaSize);
      seal(store, ks, vk, passphrase, kdf, cpu);
      md = Luks2MetadataCodec.withKeyslot(md, ks, 0, hdrSize);
      Luks2Header h =
          new Luks2Header(hdrSize, 0, spec.label(), spec.subsystem(), uuid, "sha256", md);
      Luks2HeaderWriter.writeNext(store, h, RANDOM);
    }
  }

  /**
   * Tries the keyslots (high priority first, "ignore" skipped) until one opens with {@code
   * passphrase} and its key matches the digest.
   */
  public static Unlocked unlock(
      BackingStore store,
      Luks2Header h,
      Passphrase passphrase,
      KeyLockerCpu cpu,
      long memoryCeilingKiB)
      throws LuksException {
    Luks2Metadata md = h.metadata();
    List<Luks2Keyslot> order = new ArrayList<>(md.keyslots().values());
    order.removeIf(k -> !k.type().equals("luks2") || k.effectivePriority() == 0);
    order.sort(Comparator.comparingInt(Luks2Keyslot::effectivePriority).reversed());
    LuksException refusal = null;
    for (Luks2Keyslot ks : order) {
      var digest = md.digestFor(ks.id());
      if (digest.isEmpty()) {
        continue;
      }
      try {
        ClearKey vk = tryKeyslot(store, ks, digest.get(), passphrase, cpu, memoryCeilingKiB);
        if (vk != null) {
          return new Unlocked(ks.id(), vk);
        }
      } catch (KdfMemoryLimitException | UnsupportedFormatException e) {
        refusal = refusal == null ? e : refusal;
      }
    }
    if (refusal != null) {
      throw refusal;
    }
    throw new WrongPassphraseException("No key available with this passphrase.");
  }

  private static ClearKey tryKeyslot(
      BackingStore store,
      Luks2Keyslot ks,
      Luks2Digest d,
      Passphrase pass,
      KeyLockerCpu cpu,
      long ceiling)
      throws LuksException {
    KeyslotCipher.requireSupported(
        "keyslot " + ks.id() + " area", ks.areaEncryption(), ks.areaKeySize());
    if (!d.type().equals("pbkdf2")) {
      throw new UnsupportedFormatException(
          "digest " + d.id() + " has type " + d.type() + "; klcrypt supports pbkdf2");
    }
    HashAlgorithm dh =
        HashAlgorithm.byLuksName(d.hash())
            .orElseThrow(
                () ->
                    new UnsupportedFormatException("digest " + d.id() + " uses hash " + d.hash()));
    KdfSpec kdf = ks.kdfSpec();
    HashAlgorithm afHash = ks.afHashAlgorithm();
    try (ClearKey dk =
        Kdf.derive(pass, kdf, ks.kdfSalt(), ks.areaKeySize(), ceiling, "keyslot " + ks.id())) {
      ClearKey cand =
          KeyMaterial.unseal(store, ks.areaOffset(), ks.keySize(), ks.stripes(), afHash, dk, cpu);
      if (KeyMaterial.digestMatches(cand, dh, d.salt(), d.iterations(), d.digest())) {
        return cand;
      }
      cand.close();
      return null;
    }
  }

  /**
   * Opens the data segment: reads the header (recovering in memory only), unlocks, returns a
   * volume.
   */
  public static Volume open(
      BackingStore store, Passphrase passphrase, KeyLockerCpu cpu, OpenOptions options)
      throws LuksException {
    Luks2Header h = Luks2HeaderReader.read(store).header();
    Luks2Metadata md = h.metadata();
    for (String req : md.config().mandatoryRequirements()) {
      if (!KNOWN_REQUIREMENTS.contains(req)) {
        throw new UnsupportedFormatException(
            "header requires \""
                + req
                + "\" (config.requirements.mandatory); klcrypt cannot activate it");
      }
    }
    Luks2Segment seg =
        md.cryptSegment()
            .orElseThrow(
                () ->
                    new HeaderFormatException(h.hdrSize() + 4096, "segments", "no crypt segment"));
    if (seg.integrity()) {
      throw new UnsupportedFormatException(
          "segment " + seg.id() + " uses dm-integrity; klcrypt does not");
    }
    KeyslotCipher.requireSupported("segment " + seg.id(), seg.encryption(), 64);
    long storeSize = store.size();
    long size = seg.dynamicSize() ? storeSize - seg.offset() : seg.size();
    if (seg.offset() + Math.max(0, size) > storeSize || size <= 0) {
      throw new HeaderFormatException(
          h.hdrSize() + 4096,
          "segments." + seg.id() + ".offset",
          "data area at "
              + seg.offset()
              + (seg.dynamicSize() ? "" : "+" + seg.size())
              + " lies beyond the end of the image ("
              + storeSize
              + " bytes): truncated image");
    }
    size = size / seg.sectorSize() * seg.sectorSize();
    if (size == 0) {
      throw new HeaderFormatException(
          h.hdrSize() + 4096,
          "segments." + seg.id() + ".size",
          "data area is smaller than one sector");
    }
    XtsSectorCipher cipher;
    int keyBits;
    try (Unlocked u = unlock(store, h, passphrase, cpu, options.kdfMemoryCeilingKiB())) {
      KeyslotCipher.requireSupported(
          "segment " + seg.id(), seg.encryption(), u.volumeKey().length());
      keyBits = u.volumeKey().length() * 8;
      cipher = XtsSectorCipher.create(cpu, u.volumeKey(), seg.sectorSize());
    }
    boolean discards = options.allowDiscards() || md.config().flags().contains(FLAG_ALLOW_DISCARDS);
    VolumeInfo info =
        new VolumeInfo(
            "luks2",
            h.uuid(),
            h.label(),
            seg.encryption(),
            keyBits,
            seg.sectorSize(),
            seg.offset(),
            size,
            discards,
            options.readOnly() || store.readOnly());
    return Volume.over(store, cipher, info, seg.ivTweak());
  }

  /** Adds a keyslot for {@code added}, unlocking with {@code existing}; returns its id. */
  public static int addKey(
      BackingStore store,
      Passphrase existing,
      Passphrase added,
      KdfSpec kdfSpec,
      KeyLockerCpu cpu,
      long ceiling)
      throws LuksException {
    Luks2Header h = Luks2HeaderReader.read(store).header();
    try (Unlocked u = unlock(store, h, existing, cpu, ceiling)) {
      return addKeyslot(store, h, u, added, kdfSpec, cpu).id;
    }
  }

  private record Added(int id, Luks2Header header) {}

  private static Added addKeyslot(
      BackingStore store,
      Luks2Header h,
      Unlocked u,
      Passphrase added,
      KdfSpec kdfSpec,
      KeyLockerCpu cpu)
      throws LuksException {
    Luks2Metadata md = h.metadata();
    int id = 0;
    while (md.keyslots().containsKey(id)) {
      id++;
    }
    if (id >= Luks2MetadataCodec.MAX_KEYSLOTS) {
      throw new HeaderFormatException(h.hdrSize() + 4096, "keyslots", "all 32 keyslots are in use");
    }
    int keyBytes = u.volumeKey().length();
    long areaSize = areaSize(keyBytes);
    long areaOffset = freeArea(h, areaSize);
    KdfSpec kdf = Kdf.resolve(kdfSpec);
    Luks2Keyslot ks = newKeyslot(id, kdf, keyBytes, areaOffset, areaSize);
    seal(store, ks, u.volumeKey(), added, kdf, cpu);
    int digestId = md.digestFor(u.keyslot()).orElseThrow().id();
    Luks2Metadata next = Luks2MetadataCodec.withKeyslot(md, ks, digestId, h.hdrSize());
    return new Added(id, Luks2HeaderWriter.writeNext(store, h.withMetadata(next), RANDOM));
  }

  /**
   * Removes the keyslot that {@code toRemove} opens: wipes its area, then drops it from the header.
   */
  public static int removeKey(
      BackingStore store, Passphrase toRemove, KeyLockerCpu cpu, long ceiling)
      throws LuksException {
    Luks2Header h = Luks2HeaderReader.read(store).header();
    int id;
    try (Unlocked u = unlock(store, h, toRemove, cpu, ceiling)) {
      id = u.keyslot();
    }
    killSlot(store, h, id);
    return id;
  }

  /** Removes keyslot {@code id} without a passphrase (luksKillSlot). */
  public static void killSlot(BackingStore store, int id) throws LuksException {
    killSlot(store, Luks2HeaderReader.read(store).header(), id);
  }

  private static Luks2Header killSlot(BackingStore store, Luks2Header h, int id)
      throws LuksException {
    Luks2Keyslot ks = h.metadata().keyslots().get(id);
    if (ks == null) {
      throw new WrongPassphraseException("keyslot " + id + " is not in use");
    }
    KeyMaterial.wipeArea(store, ks.areaOffset(), ks.areaSize(), RANDOM);
    store.flush();
    Luks2Metadata next = Luks2MetadataCodec.withoutKeyslot(h.metadata(), id, h.hdrSize());
    return Luks2HeaderWriter.writeNext(store, h.withMetadata(next), RANDOM);
  }

  /**
   * Replaces the keyslot {@code old} opens with one for {@code added}; returns the new keyslot id.
   */
  public static int changeKey(
      BackingStore store,
      Passphrase old,
      Passphrase added,
      KdfSpec kdf,
      KeyLockerCpu cpu,
      long ceiling)
      throws LuksException {
    Luks2Header h = Luks2HeaderReader.read(store).header();
    try (Unlocked u = unlock(store, h, old, cpu, ceiling)) {
      Added a = addKeyslot(store, h, u, added, kdf, cpu);
      killSlot(store, a.header(), u.keyslot());
      return a.id();
    }
  }

  /** Sets or clears the persistent allow-discards flag. */
  public static void setAllowDiscards(BackingStore store, boolean on) throws LuksException {
    Luks2Header h = Luks2HeaderReader.read(store).header();
    Luks2Metadata next =
        Luks2MetadataCodec.withFlag(h.metadata(), FLAG_ALLOW_DISCARDS, on, h.hdrSize());
    Luks2HeaderWriter.writeNext(store, h.withMetadata(next), RANDOM);
  }

  /**
   * Rewrites both header copies from the good (or newer) one when they disagree; returns what was
   * repaired, or null when nothing was needed.
   */
  public static String repair(BackingStore store) throws LuksException {
    Luks2HeaderReader.Result r = Luks2HeaderReader.read(store);
    if (!r.needsRepair()) {
      return null;
    }
    Luks2HeaderWriter.write(store, r.header(), RANDOM);
    return r.primaryDamage() != null
        ? "primary header restored from the secondary copy (" + r.primaryDamage() + ")"
        : "secondary header restored from the primary copy (" + r.secondaryDamage() + ")";
  }

  static long areaSize(int keyBytes) {
    return (KeyMaterial.materialLength(keyBytes, STRIPES) + 4095) / 4096 * 4096;
  }

  private static long freeArea(Luks2Header h, long want) throws HeaderFormatException {
    long start = 2 * h.hdrSize();
    long end = h.metadata().metadataEnd(h.hdrSize());
    List<Luks2Keyslot> used = new ArrayList<>(h.metadata().keyslots().values());
    used.sort(Comparator.comparingLong(Luks2Keyslot::areaOffset));
    long cursor = start;
    for (Luks2Keyslot k : used) {
      if (k.areaOffset() - cursor >= want) {
        return cursor;
      }
      cursor = Math.max(cursor, k.areaOffset() + k.areaSize());
    }
    if (end - cursor >= want) {
      return cursor;
    }
    throw new HeaderFormatException(
        h.hdrSize() + 4096,
        "config.keyslots_size",
        "no free space for a " + want + "-byte keyslot area");
  }

  private static Luks2Keyslot newKeyslot(
      int id, KdfSpec kdf, int keyBytes, long areaOffset, long areaSize) {
    return new Luks2Keyslot(
        id,
        "luks2",
        keyBytes,
        -1,
        "luks1",
        STRIPES,
        "sha256",
        "raw",
        areaOffset,
        areaSize,
        KeyslotCipher.AES_XTS_PLAIN64,
        keyBytes,
        kdf.type().luksName(),
        kdf.isArgon2() ? "" : kdf.hash().luksName(),
        kdf.iterations(),
        kdf.time(),
        kdf.memoryKiB(),
        kdf.parallelism(),
        random(32));
  }

  private static void seal(
      BackingStore store,
      Luks2Keyslot ks,
      ClearKey vk,
      Passphrase pass,
      KdfSpec kdf,
      KeyLockerCpu cpu)
      throws KdfMemoryLimitException {
    try (ClearKey dk =
        Kdf.derive(
            pass, kdf, ks.kdfSalt(), ks.areaKeySize(), Long.MAX_VALUE, "new keyslot " + ks.id())) {
      KeyMaterial.seal(
          store, ks.areaOffset(), vk, ks.stripes(), HashAlgorithm.SHA256, dk, cpu, RANDOM);
    }
    store.flush();
  }

  static boolean explicitCosts(KdfSpec k) {
    return k.isArgon2() ? k.memoryKiB() != 0 : k.iterations() != 0;
  }

  static ClearKey randomKey(int n) {
    byte[] b = random(n);
    try {
      return ClearKey.copyOf(b, 0, n);
    } finally {
      java.util.Arrays.fill(b, (byte) 0);
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static void zero(BackingStore store, long from, long to) {
    ByteBuffer z = ByteBuffer.allocateDirect(1 << 20);
    for (long p = from; p < to; ) {
      int n = (int) Math.min(z.capacity(), to - p);
      z.clear().limit(n);
      store.write(p, z);
      p += n;
    }
  }

  static String checkUuid(String u) {
    UUID parsed = UUID.fromString(u);
    return parsed.toString();
  }
}
