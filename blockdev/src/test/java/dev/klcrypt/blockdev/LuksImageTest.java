package dev.klcrypt.blockdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.testing.Tools;
import dev.klcrypt.blockdev.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade's header operations, checked against cryptsetup where it has the same verb. */
class LuksImageTest {
  private static final String PASS = "facade pass";

  @TempDir Path dir;

  private Path formatted(String name, FormatSpec spec) throws Exception {
    Path img = dir.resolve(name);
    Tools.ok(dir, "truncate", "-s", "20M", img.toString());
    try (Passphrase p = Passphrase.fromChars(PASS.toCharArray())) {
      LuksImage.format(img, spec, p, TestCpu.cpu());
    }
    return img;
  }

  private static Passphrase pass() {
    return Passphrase.fromChars(PASS.toCharArray());
  }

  @Test
  void headerBackupRestoresAWipedHeaderAndCryptsetupTakesTheBackup() throws Exception {
    Path img = formatted("b.img", FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)));
    byte[] data = new byte[4096];
    new Random(5).nextBytes(data);
    try (Passphrase p = pass();
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      v.write(0, MemorySegment.ofArray(data.clone()));
    }
    Path backup = dir.resolve("hdr.bak");
    LuksImage.headerBackup(img, backup);
    assertThat(Files.size(backup)).isEqualTo(16L * 1024 * 1024);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup)))
        .isEqualTo("rw-------");
    Tools.ok(dir, "cryptsetup", "isLuks", backup.toString());

    // wipe both header copies: nothing opens any more
    try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
      f.write(new byte[65536]);
    }
    assertThat(LuksImage.isLuks(img)).isFalse();
    LuksImage.headerRestore(img, backup);
    try (Passphrase p = pass();
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      byte[] back = new byte[4096];
      v.read(0, MemorySegment.ofArray(back));
      assertThat(back).isEqualTo(data);
    }
    // a backup taken by cryptsetup restores through klcrypt too
    Path pw = dir.resolve("pw");
    Files.writeString(pw, PASS);
    Path csBackup = dir.resolve("cs.bak");
    Tools.ok(
        dir,
        "cryptsetup",
        "luksHeaderBackup",
        "--disable-locks",
        img.toString(),
        "--header-backup-file",
        csBackup.toString());
    try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
      f.write(new byte[65536]);
    }
    LuksImage.headerRestore(img, csBackup);
    Tools.ok(dir, Tools.testPassphrase(img.toString(), pw.toString()));
  }

  @Test
  void restoreRefusesABackupWithAnotherHeaderLayout() throws Exception {
    Path luks2 = formatted("two.img", FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)));
    Path luks1 =
        formatted(
            "one.img",
            FormatSpec.defaults().withType(LuksType.LUKS1).withKdf(KdfSpec.pbkdf2(1000)));
    Path backup = dir.resolve("one.bak");
    LuksImage.headerBackup(luks1, backup);
    byte[] before = Files.readAllBytes(luks2);
    assertThatThrownBy(() -> LuksImage.headerRestore(luks2, backup))
        .isInstanceOf(HeaderFormatException.class)
        .hasMessageContaining("refusing");
    assertThat(Files.readAllBytes(luks2)).isEqualTo(before);
  }

  @Test
  void dumpsAgreeWithCryptsetup() throws Exception {
    Path img =
        formatted(
            "d.img",
            FormatSpec.defaults()
                .withKdf(KdfSpec.argon2id(32768, 4, 2))
                .withLabel("dumped")
                .withSectorSize(4096)
                .withUuid("11111111-2222-4333-8444-555555555555"));
    String ours = LuksImage.dump(img);
    String theirs = Tools.ok(dir, "cryptsetup", "luksDump", "--disable-locks", img.toString());
    for (String line :
        new String[] {
          "Version:       \t2",
          "UUID:          \t11111111-2222-4333-8444-555555555555",
          "Label:         \tdumped",
          "\tcipher: aes-xts-plain64",
          "\tsector: 4096 [bytes]",
          "\tPBKDF:      argon2id",
          "\tMemory:     32768",
          "\tAF stripes: 4000",
          "\tArea length:258048 [bytes]"
        }) {
      assertThat(ours).contains(line);
      assertThat(theirs).contains(line);
    }
    String json = LuksImage.dumpJson(img);
    String csJson =
        Tools.ok(
            dir,
            "cryptsetup",
            "luksDump",
            "--disable-locks",
            "--dump-json-metadata",
            img.toString());
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    assertThat(mapper.readTree(json)).isEqualTo(mapper.readTree(csJson));
    assertThat(ours).doesNotContain(PASS);
  }

  @Test
  void everyHeaderWriteBumpsTheEpochOnce() throws Exception {
    Path img = formatted("e.img", FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)));
    long e0 = epoch(img);
    LuksImage.setAllowDiscards(img, true);
    assertThat(epoch(img)).isEqualTo(e0 + 1);
    try (Passphrase p = pass();
        Passphrase q = Passphrase.fromChars("q".toCharArray())) {
      LuksImage.addKey(img, p, q, KdfSpec.pbkdf2(1000), TestCpu.cpu());
    }
    assertThat(epoch(img)).isEqualTo(e0 + 2);
    assertThat(LuksImage.repair(img)).isNull();
    assertThat(epoch(img)).isEqualTo(e0 + 2);
  }

  private long epoch(Path img) {
    String d = Tools.ok(dir, "cryptsetup", "luksDump", "--disable-locks", img.toString());
    return Long.parseLong(d.replaceAll("(?s).*Epoch:\\s+(\\d+).*", "$1"));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"aes-cbc-essiv:sha256", "aes-xts-plain"})
  void cryptsetupImagesWithAnotherCipherAreRefusedByName(String cipher) throws Exception {
    Path img = dir.resolve("serpent.img");
    Path pw = dir.resolve("pw");
    Files.writeString(pw, PASS);
    Tools.ok(dir, "truncate", "-s", "20M", img.toString());
    Tools.ok(
        dir,
        "cryptsetup",
        "luksFormat",
        "--batch-mode",
        "--disable-locks",
        "--type",
        "luks2",
        "--cipher",
        cipher,
        "--pbkdf",
        "pbkdf2",
        "--pbkdf-force-iterations",
        "1000",
        "--key-file",
        pw.toString(),
        img.toString());
    try (Passphrase p = Passphrase.fromFile(pw)) {
      assertThatThrownBy(() -> LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults()))
          .isInstanceOf(UnsupportedFormatException.class)
          .hasMessageContaining("uses cipher " + cipher + ";");
    }
  }

  @Test
  void argon2KeyslotAboveTheMemoryCeilingIsRefusedBeforeAllocating() throws Exception {
    Path img = formatted("m.img", FormatSpec.defaults().withKdf(KdfSpec.argon2id(65536, 4, 1)));
    try (Passphrase p = pass()) {
      assertThatThrownBy(
              () ->
                  LuksImage.open(
                      img, p, TestCpu.cpu(), OpenOptions.defaults().withKdfMemoryCeilingKiB(32768)))
          .isInstanceOf(KdfMemoryLimitException.class)
          .hasMessageContaining("keyslot 0")
          .hasMessageContaining("65536 KiB");
      try (Volume v =
          LuksImage.open(
              img, p, TestCpu.cpu(), OpenOptions.defaults().withKdfMemoryCeilingKiB(65536))) {
        assertThat(v.size()).isPositive();
      }
    }
  }

  @Test
  void plainFilesAndShortFilesAreNotLuks() throws Exception {
    Path junk = dir.resolve("junk");
    Files.write(
        junk, "definitely not a LUKS header".repeat(1000).getBytes(StandardCharsets.US_ASCII));
    Path tiny = dir.resolve("tiny");
    Files.write(tiny, new byte[3]);
    assertThat(LuksImage.isLuks(junk)).isFalse();
    assertThat(LuksImage.isLuks(tiny)).isFalse();
    assertThatThrownBy(() -> LuksImage.dump(junk))
        .isInstanceOf(HeaderFormatException.class)
        .hasMessageContaining("not a LUKS");
  }

  @Test
  void luks1RefusesArgon2KeyslotsByName() throws Exception {
    Path img =
        formatted(
            "l1.img", FormatSpec.defaults().withType(LuksType.LUKS1).withKdf(KdfSpec.pbkdf2(1000)));
    byte[] before = Files.readAllBytes(img);
    try (Passphrase p = pass();
        Passphrase q = Passphrase.fromChars("q".toCharArray())) {
      assertThatThrownBy(
              () -> LuksImage.addKey(img, p, q, KdfSpec.argon2id(32768, 4, 1), TestCpu.cpu()))
          .isInstanceOf(UnsupportedFormatException.class)
          .hasMessageContaining("argon2id");
    }
    assertThat(Files.readAllBytes(img)).isEqualTo(before);
    Path other = dir.resolve("l1-4k.img");
    Tools.ok(dir, "truncate", "-s", "20M", other.toString());
    try (Passphrase p = pass()) {
      assertThatThrownBy(
              () ->
                  LuksImage.format(
                      other,
                      FormatSpec.defaults()
                          .withType(LuksType.LUKS1)
                          .withKdf(KdfSpec.pbkdf2(1000))
                          .withSectorSize(4096),
                      p,
                      TestCpu.cpu()))
          .isInstanceOf(UnsupportedFormatException.class)
          .hasMessageContaining("512-byte sectors");
    }
  }
}
