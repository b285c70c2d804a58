package dev.klcrypt.blockdev.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.testing.ReferenceXts;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.testing.Tools;
import dev.klcrypt.blockdev.volume.Volume;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * klcrypt makes LUKS2 images; cryptsetup accepts them and its volume key decrypts what klcrypt
 * wrote.
 */
class KlcryptMadeLuks2ImagesTest {
  private static final String PASS = "klcrypt makes this";
  private static final long DATA_OFFSET = 16L * 1024 * 1024;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} sector {1} key {2}")
  @CsvSource({"pbkdf2, 512, 512", "pbkdf2, 4096, 256", "argon2id, 4096, 512", "argon2id, 512, 256"})
  void cryptsetupAcceptsAndItsVolumeKeyDecryptsKlcryptData(String kdf, int sector, int keyBits)
      throws Exception {
    Path img = dir.resolve("kl.img");
    Path pw = dir.resolve("pw.txt");
    Files.writeString(pw, PASS);
    Tools.ok(dir, "truncate", "-s", "32M", img.toString());
    KdfSpec k = kdf.equals("pbkdf2") ? KdfSpec.pbkdf2(1000) : KdfSpec.argon2id(32768, 4, 2);
    FormatSpec spec =
        FormatSpec.defaults()
            .withKdf(k)
            .withSectorSize(sector)
            .withKeyBits(keyBits)
            .withLabel("kl-label")
            .withSubsystem("kl-sub")
            .withUuid("0b9c8d1e-1111-4222-8333-444455556666");
    try (Passphrase p = Passphrase.fromFile(pw)) {
      LuksImage.format(img, spec, p, TestCpu.cpu());
    }

    Tools.ok(dir, "cryptsetup", "isLuks", "--type", "luks2", img.toString());
    String dump = Tools.ok(dir, "cryptsetup", "luksDump", "--disable-locks", img.toString());
    assertThat(dump)
        .contains("0b9c8d1e-1111-4222-8333-444455556666")
        .contains("kl-label")
        .contains("kl-sub")
        .contains("sector: " + sector)
        .contains("PBKDF:      " + kdf);
    Tools.ok(dir, Tools.testPassphrase(img.toString(), pw.toString()));
    assertThat(Tools.run(dir, Tools.testPassphrase(img.toString(), img.toString())).exit())
        .as("a wrong key file is refused by cryptsetup")
        .isNotZero();

    byte[] pattern = new byte[2 * sector + 333];
    new Random(sector + keyBits).nextBytes(pattern);
    long at = 7L * sector + 5;
    try (Passphrase p = Passphrase.fromChars(PASS.toCharArray());
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      v.write(at, MemorySegment.ofArray(pattern.clone()));
      v.flush();
    }
    byte[] vk = Tools.cryptsetupVolumeKey(dir, img, pw);
    assertThat(vk).hasSize(keyBits / 8);
    long first = at / sector * sector;
    byte[] raw = new byte[3 * sector];
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
      f.seek(DATA_OFFSET + first);
      f.readFully(raw);
    }
    ReferenceXts.decrypt(vk, sector, first / 512, raw);
    byte[] got = new byte[pattern.length];
    System.arraycopy(raw, (int) (at - first), got, 0, got.length);
    assertThat(got).isEqualTo(pattern);
  }

  @Test
  void keyslotsAddedByEitherToolOpenInTheOther() throws Exception {
    Path img = dir.resolve("kl.img");
    Path pw = dir.resolve("pw.txt");
    Path pw2 = dir.resolve("pw2.txt");
    Path pw3 = dir.resolve("pw3.txt");
    Files.writeString(pw, PASS);
    Files.writeString(pw2, "second key from klcrypt");
    Files.writeString(pw3, "third key from cryptsetup");
    Tools.ok(dir, "truncate", "-s", "20M", img.toString());
    try (Passphrase p = Passphrase.fromFile(pw)) {
      LuksImage.format(img, FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)), p, TestCpu.cpu());
    }
    try (Passphrase p = Passphrase.fromFile(pw);
        Passphrase p2 = Passphrase.fromFile(pw2)) {
      assertThat(LuksImage.addKey(img, p, p2, KdfSpec.argon2id(32768, 4, 1), TestCpu.cpu()))
          .isEqualTo(1);
    }
    Tools.ok(
        dir,
        "cryptsetup",
        "open",
        "--disable-locks",
        "--test-passphrase",
        "--key-slot",
        "1",
        "--key-file",
        pw2.toString(),
        img.toString());
    Tools.ok(
        dir,
        "cryptsetup",
        "luksAddKey",
        "--batch-mode",
        "--disable-locks",
        "--pbkdf",
        "pbkdf2",
        "--pbkdf-force-iterations",
        "1000",
        "--key-file",
        pw.toString(),
        img.toString(),
        pw3.toString());
    try (Passphrase p3 = Passphrase.fromFile(pw3);
        Volume v =
            LuksImage.open(img, p3, TestCpu.cpu(), OpenOptions.defaults().withReadOnly(true))) {
      assertThat(v.info().uuid()).isNotBlank();
    }
    // klcrypt removes cryptsetup's keyslot 0 passphrase; cryptsetup then refuses it and still takes
    // keyslot 1
    try (Passphrase p = Passphrase.fromFile(pw)) {
      LuksImage.removeKey(img, p, TestCpu.cpu());
    }
    assertThat(Tools.run(dir, Tools.testPassphrase(img.toString(), pw.toString())).exit())
        .isNotZero();
    Tools.ok(dir, Tools.testPassphrase(img.toString(), pw2.toString()));
    String dump = Tools.ok(dir, "cryptsetup", "luksDump", "--disable-locks", img.toString());
    assertThat(dump).doesNotContain("  0: luks2").contains("  1: luks2").contains("  2: luks2");
  }

  @Test
  void persistentAllowDiscardsFlagIsWhatCryptsetupShows() throws Exception {
    Path img = dir.resolve("kl.img");
    Path pw = dir.resolve("pw.txt");
    Files.writeString(pw, PASS);
    Tools.ok(dir, "truncate", "-s", "20M", img.toString());
    try (Passphrase p = Passphrase.fromFile(pw)) {
      LuksImage.format(img, FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)), p, TestCpu.cpu());
    }
    assertThat(Tools.ok(dir, "cryptsetup", "luksDump", "--disable-locks", img.toString()))
        .containsPattern("Flags:\\s+\\(no flags\\)");
    LuksImage.setAllowDiscards(img, true);
    assertThat(Tools.ok(dir, "cryptsetup", "luksDump", "--disable-locks", img.toString()))
        .containsPattern("Flags:\\s+allow-discards");
    try (Passphrase p = Passphrase.fromFile(pw);
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      assertThat(v.info().allowDiscards()).isTrue();
    }
    // and cryptsetup's own flag change is honoured by klcrypt
    Tools.ok(
        dir,
        "cryptsetup",
        "config",
        "--disable-locks",
        "--batch-mode",
        "--label",
        "relabelled",
        img.toString());
    assertThat(LuksImage.dump(img)).contains("relabelled").contains("allow-discards");
  }
}
