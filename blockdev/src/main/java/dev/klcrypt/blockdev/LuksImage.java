package dev.klcrypt.blockdev;

import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.luks1.Luks1Header;
import dev.klcrypt.blockdev.luks1.Luks1HeaderCodec;
import dev.klcrypt.blockdev.luks1.Luks1Image;
import dev.klcrypt.blockdev.luks2.Luks2Header;
import dev.klcrypt.blockdev.luks2.Luks2HeaderReader;
import dev.klcrypt.blockdev.luks2.Luks2Image;
import dev.klcrypt.blockdev.store.BackingStore;
import dev.klcrypt.blockdev.store.FileBackingStore;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The LUKS facade used by the CLI and the daemon: format, open, keyslot management, header
 * backup/restore/repair and dumps, for LUKS1 and LUKS2 images. Reading a header never writes: a
 * damaged primary LUKS2 copy is recovered from the secondary in memory, and the repair reaches the
 * disk only through {@link #repair} or an operation that writes the header anyway
 * (add/remove/change key, flags).
 */
public final class LuksImage {
  private LuksImage() {}

  /** Formats {@code image} (an existing file whose size is the device size). */
  public static void format(Path image, FormatSpec spec, Passphrase passphrase, KeyLockerCpu cpu)
      throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, false)) {
      if (spec.type() == LuksType.LUKS1) {
        Luks1Image.format(store, spec, passphrase, cpu);
      } else {
        Luks2Image.format(store, spec, passphrase, cpu);
      }
    }
  }

  /** Opens {@code image}; the returned volume owns the file until closed. */
  public static Volume open(
      Path image, Passphrase passphrase, KeyLockerCpu cpu, OpenOptions options)
      throws LuksException {
    BackingStore store = FileBackingStore.open(image, options.readOnly());
    boolean ok = false;
    try {
      Volume v = open(store, passphrase, cpu, options);
      ok = true;
      return v;
    } finally {
      if (!ok) {
        store.close();
      }
    }
  }

  /**
   * Opens a volume over any backing store (e.g. a fault-injecting decorator). The volume takes
   * ownership of the store on success; on failure the caller still owns it.
   */
  public static Volume open(
      BackingStore store, Passphrase passphrase, KeyLockerCpu cpu, OpenOptions options)
      throws LuksException {
    return switch (detect(store)) {
      case LUKS1 -> Luks1Image.open(store, passphrase, cpu, options);
      case LUKS2 -> Luks2Image.open(store, passphrase, cpu, options);
    };
  }

  /** Adds a keyslot for {@code added}; returns its number. */
  public static int addKey(
      Path image, Passphrase existing, Passphrase added, KdfSpec kdf, KeyLockerCpu cpu)
      throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, false)) {
      return switch (detect(store)) {
        case LUKS1 -> Luks1Image.addKey(store, existing, added, kdf, cpu);
        case LUKS2 -> Luks2Image.addKey(store, existing, added, kdf, cpu, Long.MAX_VALUE);
      };
    }
  }

  /** Removes the keyslot that {@code toRemove} opens (its key material is overwritten). */
  public static void removeKey(Path image, Passphrase toRemove, KeyLockerCpu cpu)
      throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, false)) {
      switch (detect(store)) {
        case LUKS1 -> Luks1Image.removeKey(store, toRemove, cpu);
        case LUKS2 -> Luks2Image.removeKey(store, toRemove, cpu, Long.MAX_VALUE);
      }
    }
  }

  /**
   * Replaces the keyslot {@code old} opens with one for {@code added}; returns the new keyslot
   * number.
   */
  public static int changeKey(
      Path image, Passphrase old, Passphrase added, KdfSpec kdf, KeyLockerCpu cpu)
      throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, false)) {
      return switch (detect(store)) {
        case LUKS1 -> Luks1Image.changeKey(store, old, added, kdf, cpu);
        case LUKS2 -> Luks2Image.changeKey(store, old, added, kdf, cpu, Long.MAX_VALUE);
      };
    }
  }

  /** Removes keyslot {@code slot} without asking for a passphrase (luksKillSlot). */
  public static void killSlot(Path image, int slot) throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, false)) {
      switch (detect(store)) {
        case LUKS1 -> Luks1Image.killSlot(store, slot);
        case LUKS2 -> Luks2Image.killSlot(store, slot);
      }
    }
  }

  /** Sets or clears the LUKS2 persistent {@code allow-discards} flag. */
  public static void setAllowDiscards(Path image, boolean on) throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, false)) {
      if (detect(store) != LuksType.LUKS2) {
        throw new UnsupportedFormatException(
            "LUKS1 has no persistent flags; pass allowDiscards when opening");
      }
      Luks2Image.setAllowDiscards(store, on);
    }
  }

  /**
   * Rewrites a damaged or stale LUKS2 header copy from the good one (cryptsetup repair). Returns a
   * description of what was repaired, or null if both copies were fine. LUKS1 has a single copy:
   * only validated.
   */
  public static String repair(Path image) throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, false)) {
      if (detect(store) == LuksType.LUKS1) {
        Luks1Image.read(store);
        return null;
      }
      return Luks2Image.repair(store);
    }
  }

  /**
   * Copies the header area (headers + keyslot areas, up to the data offset) into a new file, mode
   * 0600.
   */
  public static void headerBackup(Path image, Path backupFile) throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, true)) {
      long len = headerAreaLength(store);
      ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(len));
      store.read(0, buf);
      buf.flip();
      try (FileChannel out =
          FileChannel.open(
              backupFile,
              java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        while (buf.hasRemaining()) {
          out.write(buf);
        }
        out.force(true);
      } catch (IOException e) {
        throw new BackingStoreIoException(
            "cannot write header backup " + backupFile + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Writes a header backup over the image's header area. The backup must hold a valid header whose
   * header area fits before the image's data; an image with a readable header must have the same
   * data offset.
   */
  public static void headerRestore(Path image, Path backupFile) throws LuksException {
    long len;
    ByteBuffer buf;
    try (BackingStore backup = FileBackingStore.open(backupFile, true)) {
      len = headerAreaLength(backup);
      buf = ByteBuffer.allocate(Math.toIntExact(len));
      backup.read(0, buf);
      buf.flip();
    }
    try (BackingStore store = FileBackingStore.open(image, false)) {
      if (store.size() <= len) {
        throw new HeaderFormatException(
            0,
            "image size",
            "image of "
                + store.size()
                + " bytes cannot hold the "
                + len
                + "-byte header area of the backup");
      }
      long current;
      try {
        current = headerAreaLength(store);
      } catch (HeaderFormatException e) {
        current = len; // image header unreadable: the backup decides
      }
      if (current != len) {
        throw new HeaderFormatException(
            0,
            "data offset",
            "backup header area is " + len + " bytes but the image's is " + current + "; refusing");
      }
      store.write(0, buf);
      store.flush();
    }
  }

  /** A luksDump-style description (no secrets). */
  public static String dump(Path image) throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, true)) {
      return switch (detect(store)) {
        case LUKS1 -> LuksDump.luks1(Luks1Image.read(store));
        case LUKS2 -> LuksDump.luks2(Luks2HeaderReader.read(store));
      };
    }
  }

  /**
   * LUKS2: the JSON metadata (as {@code luksDump --dump-json-metadata}); LUKS1: the header fields
   * as JSON.
   */
  public static String dumpJson(Path image) throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, true)) {
      return switch (detect(store)) {
        case LUKS1 -> LuksDump.luks1Json(Luks1Image.read(store));
        case LUKS2 -> LuksDump.luks2Json(Luks2HeaderReader.read(store).header());
      };
    }
  }

  /**
   * Whether the image holds a readable LUKS1 or LUKS2 header (a recoverable LUKS2 header counts).
   */
  public static boolean isLuks(Path image) {
    try (BackingStore store = FileBackingStore.open(image, true)) {
      if (detect(store) == LuksType.LUKS1) {
        Luks1Image.read(store);
      } else {
        Luks2HeaderReader.read(store);
      }
      return true;
    } catch (LuksException | BlockDeviceException e) {
      return false;
    }
  }

  /** The LUKS version of the image (LUKS2 also when only its secondary copy is readable). */
  public static LuksType type(Path image) throws LuksException {
    try (BackingStore store = FileBackingStore.open(image, true)) {
      return detect(store);
    }
  }

  static LuksType detect(BackingStore store) throws HeaderFormatException {
    long size = store.size();
    if (size >= 8) {
      ByteBuffer b = ByteBuffer.allocate(8);
      store.read(0, b);
      if (Luks1HeaderCodec.looksLikeLuks1(b.array())) {
        return LuksType.LUKS1;
      }
    }
    if (size < Luks1HeaderCodec.HEADER_BYTES) {
      throw new HeaderFormatException(
          0, "magic", "image of " + size + " bytes is too short to hold a LUKS header");
    }
    return LuksType.LUKS2;
  }

  private static long headerAreaLength(BackingStore store) throws LuksException {
    if (detect(store) == LuksType.LUKS1) {
      Luks1Header h = Luks1Image.read(store);
      return h.dataOffsetBytes();
    }
    Luks2Header h = Luks2HeaderReader.read(store).header();
    return h.metadata().metadataEnd(h.hdrSize());
  }
}
