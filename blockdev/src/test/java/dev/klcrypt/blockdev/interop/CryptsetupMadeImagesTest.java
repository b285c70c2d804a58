package dev.klcrypt.blockdev.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.WrongPassphraseException;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.testing.ReferenceXts;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.testing.Tools;
import dev.klcrypt.blockdev.volume.Volume;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * cryptsetup makes LUKS2 images; klcrypt opens them and writes; an independent XTS checks the bytes
 * on disk.
 */
class CryptsetupMadeImagesTest {
  private static final String PASS = "correct horse battery staple";
  private static final long DATA_OFFSET = 16L * 1024 * 1024;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} sector {1}")
  @CsvSource({"pbkdf2, 512", "pbkdf2, 4096", "argon2id, 512", "argon2id, 4096"})
  void klcryptOpensCryptsetupLuks2AndWritesWhatTheVolumeKeyDecrypts(String kdf, int sector)
      throws Exception {
    Path img = dir.resolve("cs.img");
    Path pw = dir.resolve("pw.txt");
    Files.writeString(pw, PASS);
    Tools.ok(dir, "truncate", "-s", "32M", img.toString());
    Tools.ok(dir, cryptsetupFormat(kdf, sector, img, pw));

    byte[] pattern = new byte[3 * 4096 + 100];
    new Random(sector * 31L + kdf.length()).nextBytes(pattern);
    long at = 5 * 4096 + 17; // deliberately unaligned: exercises read-modify-write

    try (Passphrase p = Passphrase.fromChars(PASS.toCharArray());
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      assertThat(v.info().type()).isEqualTo("luks2");
      assertThat(v.sectorSize()).isEqualTo(sector);
      assertThat(v.size()).isEqualTo(32L * 1024 * 1024 - DATA_OFFSET);
      v.write(at, MemorySegment.ofArray(pattern.clone()));
      v.flush();
    }
    // the key file opens it too, and reads back what was written
    try (Passphrase p = Passphrase.fromFile(pw);
        Volume v =
            LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults().withReadOnly(true));
        Arena arena = Arena.ofConfined()) {
      MemorySegment back = arena.allocate(pattern.length);
      v.read(at, back);
      assertThat(back.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(pattern);
    }

    byte[] vk = Tools.cryptsetupVolumeKey(dir, img, pw);
    assertThat(vk).hasSize(64);
    long first = at / sector * sector;
    long end = (at + pattern.length + sector - 1) / sector * sector;
    byte[] raw = new byte[(int) (end - first)];
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
      f.seek(DATA_OFFSET + first);
      f.readFully(raw);
    }
    byte[] plainOnDisk = raw.clone();
    ReferenceXts.decrypt(vk, sector, first / 512, plainOnDisk);
    assertThat(
            Arrays.copyOfRange(
                plainOnDisk, (int) (at - first), (int) (at - first) + pattern.length))
        .isEqualTo(pattern);
    // and no plaintext reached the disk
    assertThat(indexOf(raw, Arrays.copyOf(pattern, 64))).isEqualTo(-1);
  }

  @Test
  void wrongPassphraseIsRefusedAndNothingIsWritten() throws Exception {
    Path img = dir.resolve("cs.img");
    Path pw = dir.resolve("pw.txt");
    Files.writeString(pw, PASS);
    Tools.ok(dir, "truncate", "-s", "32M", img.toString());
    Tools.ok(dir, cryptsetupFormat("pbkdf2", 4096, img, pw));
    byte[] before = Files.readAllBytes(img);
    try (Passphrase p = Passphrase.fromBytes("wrong".getBytes(StandardCharsets.UTF_8))) {
      assertThatThrownBy(() -> LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults()))
          .isInstanceOf(WrongPassphraseException.class)
          .hasMessageContaining("No key available");
    }
    assertThat(Files.readAllBytes(img)).isEqualTo(before);
  }

  static String[] cryptsetupFormat(String kdf, int sector, Path img, Path pw) {
    String[] cost =
        kdf.equals("pbkdf2")
            ? new String[] {"--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"}
            : new String[] {
              "--pbkdf",
              "argon2id",
              "--pbkdf-memory",
              "32768",
              "--pbkdf-force-iterations",
              "4",
              "--pbkdf-parallel",
              "2"
            };
    String[] base = {
      "cryptsetup",
      "luksFormat",
      "--batch-mode",
      "--disable-locks",
      "--type",
      "luks2",
      "--sector-size",
      Integer.toString(sector),
      "--key-file",
      pw.toString()
    };
    String[] all = new String[base.length + cost.length + 1];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(cost, 0, all, base.length, cost.length);
    all[all.length - 1] = img.toString();
    return all;
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
