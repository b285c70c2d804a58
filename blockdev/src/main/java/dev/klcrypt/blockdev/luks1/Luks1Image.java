package dev.klcrypt.blockdev.luks1;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.HeaderFormatException;
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
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * LUKS1 operations on a backing store: format (pbkdf2, aes-xts-plain64, 512-byte sectors), open,
 * keyslots.
 */
public final class Luks1Image {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Luks1Image() {}

  /** Reads and validates the header. */
  public static Luks1Header read(BackingStore store) throws HeaderFormatException {
    long size = store.size();
    if (size < Luks1HeaderCodec.HEADER_BYTES) {
      throw new HeaderFormatException(
          0, "phdr", "image of " + size + " bytes is shorter than a LUKS1 header (592 bytes)");
    }
    ByteBuffer b = ByteBuffer.allocate(Luks1HeaderCodec.HEADER_BYTES);
    store.read(0, b);
    return Luks1HeaderCodec.parse(b.array(), size);
  }

  /** Creates a LUKS1 header with keyslot 0 for {@code passphrase}. */
  public static void format(
      BackingStore store, FormatSpec spec, Passphrase passphrase, KeyLockerCpu cpu)
      throws LuksException {
    if (spec.kdf().isArgon2()) {
      throw new UnsupportedFormatException(
          "LUKS1 keyslots use pbkdf2 only, not " + spec.kdf().type().luksName());
    }
    if (spec.sectorSize() != 0 && spec.sectorSize() != 512) {
      throw new UnsupportedFormatException(
          "LUKS1 supports only 512-byte sectors, not " + spec.sectorSize());
    }
    int keyBytes = spec.keyBits() / 8;
    int[] layout = Luks1HeaderCodec.layout(keyBytes);
    int payload = layout[Luks1Header.SLOTS];
    long size = store.size();
    if (size <= payload * 512L) {
      throw new HeaderFormatException(
          0,
          "image size",
          "image of "
              + size
              + " bytes is too small for a LUKS1 header area of "
              + payload * 512L
              + " bytes plus data");
    }
    KdfSpec kdf = Kdf.resolve(spec.kdf());
    HashAlgorithm hash = kdf.hash();
    int mkIter =
        spec.kdf().iterations() != 0 ? Kdf.MIN_PBKDF2_ITERATIONS : Kdf.benchmarkPbkdf2(hash, 125);
    byte[] mkSalt = random(32);
    String uuid =
        spec.uuid() == null
            ? UUID.randomUUID().toString()
            : UUID.fromString(spec.uuid()).toString();
    byte[] noSalt = new byte[32];
    List<Luks1Keyslot> slots = new ArrayList<>();
    for (int i = 0; i < Luks1Header.SLOTS; i++) {
      slots.add(new Luks1Keyslot(i, false, 0, noSalt, layout[i], Luks1Header.STRIPES));
    }
    byte[] vkBytes = random(keyBytes);
    try (ClearKey vk = ClearKey.copyOf(vkBytes, 0, keyBytes)) {
      Arrays.fill(vkBytes, (byte) 0);
      byte[] mkDigest = Kdf.pbkdf2OfKey(vk, hash, mkSalt, mkIter, 20);
      Luks1Header h =
          new Luks1Header(
              "aes",
              "xts-plain64",
              hash.luksName(),
              payload,
              keyBytes,
              mkDigest,
              mkSalt,
              mkIter,
              uuid,
              slots);
      zero(store, payload * 512L);
      Luks1Keyslot s0 =
          new Luks1Keyslot(0, true, kdf.iterations(), random(32), layout[0], Luks1Header.STRIPES);
      seal(store, h, s0, vk, passphrase, cpu);
      writeHeader(store, h.withKeyslot(s0));
    }
  }

  /** Tries every enabled keyslot. */
  public static Unlocked unlock(
      BackingStore store, Luks1Header h, Passphrase passphrase, KeyLockerCpu cpu)
      throws LuksException {
    KeyslotCipher.requireSupported(
        "LUKS1 header", KeyslotCipher.luks1Spec(h.cipherName(), h.cipherMode()), h.keyBytes());
    HashAlgorithm hash = hash(h);
    for (Luks1Keyslot s : h.keyslots()) {
      if (!s.active()) {
        continue;
      }
      KdfSpec kdf = new KdfSpec(KdfSpec.Type.PBKDF2, hash, s.iterations(), 0, 0, 0, 0);
      try (ClearKey dk =
          Kdf.derive(
              passphrase, kdf, s.salt(), h.keyBytes(), Long.MAX_VALUE, "keyslot " + s.index())) {
        ClearKey cand =
            KeyMaterial.unseal(
                store, s.keyMaterialOffset() * 512L, h.keyBytes(), s.stripes(), hash, dk, cpu);
        if (KeyMaterial.digestMatches(
            cand, hash, h.mkDigestSalt(), h.mkDigestIterations(), h.mkDigest())) {
          return new Unlocked(s.index(), cand);
        }
        cand.close();
      }
    }
    throw new WrongPassphraseException("No key available with this passphrase.");
  }

  /** Opens the data area (512-byte sectors, IV = sector number from the payload start). */
  public static Volume open(
      BackingStore store, Passphrase passphrase, KeyLockerCpu cpu, OpenOptions options)
      throws LuksException {
    Luks1Header h = read(store);
    long dataOffset = h.dataOffsetBytes();
    long size = (store.size() - dataOffset) / 512 * 512;
    if (size <= 0) {
      throw new HeaderFormatException(
          104,
          "payload-offset",
          "no data sectors after offset " + dataOffset + ": truncated image");
    }
    XtsSectorCipher cipher;
    try (Unlocked u = unlock(store, h, passphrase, cpu)) {
      cipher = XtsSectorCipher.create(cpu, u.volumeKey(), 512);
    }
    VolumeInfo info =
        new VolumeInfo(
            "luks1",
            h.uuid(),
            "",
            KeyslotCipher.luks1Spec(h.cipherName(), h.cipherMode()),
            h.keyBytes() * 8,
            512,
            dataOffset,
            size,
            options.allowDiscards(),
            options.readOnly() || store.readOnly());
    return Volume.over(store, cipher, info, 0);
  }

  /** Adds a keyslot (pbkdf2 only); returns its index. */
  public static int addKey(
      BackingStore store, Passphrase existing, Passphrase added, KdfSpec kdfSpec, KeyLockerCpu cpu)
      throws LuksException {
    KdfSpec kdf = luks1Kdf(kdfSpec);
    Luks1Header h = read(store);
    try (Unlocked u = unlock(store, h, existing, cpu)) {
      return addSlot(store, h, u.volumeKey(), added, kdf, cpu);
    }
  }

  private static int addSlot(
      BackingStore store,
      Luks1Header h,
      ClearKey vk,
      Passphrase added,
      KdfSpec kdfSpec,
      KeyLockerCpu cpu)
      throws LuksException {
    Luks1Keyslot free = h.keyslots().stream().filter(s -> !s.active()).findFirst().orElse(null);
    if (free == null) {
      throw new HeaderFormatException(208, "keyslots", "all 8 LUKS1 keyslots are in use");
    }
    KdfSpec kdf =
        Kdf.resolve(
            new KdfSpec(
                KdfSpec.Type.PBKDF2,
                hash(h),
                kdfSpec.iterations(),
                0,
                0,
                0,
                kdfSpec.iterTimeMillis()));
    Luks1Keyslot s =
        new Luks1Keyslot(
            free.index(),
            true,
            kdf.iterations(),
            random(32),
            free.keyMaterialOffset(),
            Luks1Header.STRIPES);
    seal(store, h, s, vk, added, cpu);
    writeHeader(store, h.withKeyslot(s));
    return s.index();
  }

  /** Disables the keyslot {@code toRemove} opens and wipes its key material; returns its index. */
  public static int removeKey(BackingStore store, Passphrase toRemove, KeyLockerCpu cpu)
      throws LuksException {
    Luks1Header h = read(store);
    int idx;
    try (Unlocked u = unlock(store, h, toRemove, cpu)) {
      idx = u.keyslot();
    }
    killSlot(store, h, idx);
    return idx;
  }

  /** Disables keyslot {@code idx} without a passphrase. */
  public static void killSlot(BackingStore store, int idx) throws LuksException {
    killSlot(store, read(store), idx);
  }

  private static Luks1Header killSlot(BackingStore store, Luks1Header h, int idx)
      throws LuksException {
    if (idx < 0 || idx >= Luks1Header.SLOTS || !h.keyslots().get(idx).active()) {
      throw new WrongPassphraseException("keyslot " + idx + " is not in use");
    }
    Luks1Keyslot s = h.keyslots().get(idx);
    long len = KeyMaterial.materialLength(h.keyBytes(), s.stripes());
    KeyMaterial.wipeArea(store, s.keyMaterialOffset() * 512L, len, RANDOM);
    Luks1Header next =
        h.withKeyslot(
            new Luks1Keyslot(idx, false, 0, new byte[32], s.keyMaterialOffset(), s.stripes()));
    writeHeader(store, next);
    return next;
  }

  /** Replaces the keyslot {@code old} opens with one for {@code added}; returns the new index. */
  public static int changeKey(
      BackingStore store, Passphrase old, Passphrase added, KdfSpec kdf, KeyLockerCpu cpu)
      throws LuksException {
    KdfSpec pbkdf2 = luks1Kdf(kdf);
    Luks1Header h = read(store);
    try (Unlocked u = unlock(store, h, old, cpu)) {
      int idx = addSlot(store, h, u.volumeKey(), added, pbkdf2, cpu);
      killSlot(store, read(store), u.keyslot());
      return idx;
    }
  }

  /**
   * LUKS1 keyslots are PBKDF2: the default (Argon2) spec becomes PBKDF2 timed to 2 s, explicit
   * Argon2 is refused.
   */
  private static KdfSpec luks1Kdf(KdfSpec k) throws UnsupportedFormatException {
    if (k.equals(KdfSpec.defaults())) {
      return KdfSpec.pbkdf2Timed(HashAlgorithm.SHA256, 2000);
    }
    if (k.isArgon2()) {
      throw new UnsupportedFormatException(
          "LUKS1 keyslots use pbkdf2 only, not " + k.type().luksName());
    }
    return k;
  }

  private static HashAlgorithm hash(Luks1Header h) throws UnsupportedFormatException {
    return HashAlgorithm.byLuksName(h.hashSpec())
        .orElseThrow(
            () ->
                new UnsupportedFormatException(
                    "LUKS1 hash-spec " + h.hashSpec() + " is not supported"));
  }

  private static void seal(
      BackingStore store,
      Luks1Header h,
      Luks1Keyslot s,
      ClearKey vk,
      Passphrase pass,
      KeyLockerCpu cpu)
      throws LuksException {
    HashAlgorithm hash = hash(h);
    KdfSpec kdf = new KdfSpec(KdfSpec.Type.PBKDF2, hash, s.iterations(), 0, 0, 0, 0);
    try (ClearKey dk =
        Kdf.derive(pass, kdf, s.salt(), h.keyBytes(), Long.MAX_VALUE, "keyslot " + s.index())) {
      KeyMaterial.seal(store, s.keyMaterialOffset() * 512L, vk, s.stripes(), hash, dk, cpu, RANDOM);
    }
    store.flush();
  }

  private static void writeHeader(BackingStore store, Luks1Header h) {
    store.write(0, ByteBuffer.wrap(Luks1HeaderCodec.encode(h)));
    store.flush();
  }

  private static void zero(BackingStore store, long to) {
    ByteBuffer z = ByteBuffer.allocateDirect(1 << 20);
    for (long p = 0; p < to; ) {
      int n = (int) Math.min(z.capacity(), to - p);
      z.clear().limit(n);
      store.write(p, z);
      p += n;
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
