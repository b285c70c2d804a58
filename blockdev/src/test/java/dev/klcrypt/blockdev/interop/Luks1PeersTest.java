package dev.klcrypt.blockdev.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.LuksType;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.WrongPassphraseException;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.testing.Tools;
import dev.klcrypt.blockdev.volume.Volume;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LUKS1 both ways with qemu-img/qemu-io, nbdkit's luks filter and cryptsetup. */
class Luks1PeersTest {
  private static final String PASS = "qemu and klcrypt";

  @TempDir Path dir;

  @Test
  void klcryptReadsWhatQemuIoWroteToAQemuMadeLuks1Image() throws Exception {
    Path img = dir.resolve("q.luks");
    Path pw = dir.resolve("pw.txt");
    Files.writeString(pw, PASS);
    Tools.ok(
        dir,
        "qemu-img",
        "create",
        "--object",
        "secret,id=sec0,file=" + pw,
        "-f",
        "luks",
        "-o",
        "key-secret=sec0,iter-time=10",
        img.toString(),
        "8M");
    String opts = "driver=luks,key-secret=sec0,file.filename=" + img;
    Tools.ok(
        dir,
        "qemu-io",
        "--object",
        "secret,id=sec0,file=" + pw,
        "--image-opts",
        opts,
        "-c",
        "write -P 0x5a 0 64k",
        "-c",
        "write -P 0xc3 1000 3000",
        "-c",
        "write -P 0x11 7M 1M");

    try (Passphrase p = Passphrase.fromFile(pw);
        Volume v =
            LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults().withReadOnly(true));
        Arena a = Arena.ofConfined()) {
      assertThat(v.info().type()).isEqualTo("luks1");
      assertThat(v.size()).isEqualTo(8L << 20);
      MemorySegment buf = a.allocate(64 * 1024);
      v.read(0, buf);
      byte[] got = buf.toArray(ValueLayout.JAVA_BYTE);
      byte[] want = new byte[64 * 1024];
      Arrays.fill(want, (byte) 0x5a);
      Arrays.fill(want, 1000, 4000, (byte) 0xc3);
      assertThat(got).isEqualTo(want);
      MemorySegment tail = a.allocate(1 << 20);
      v.read(7L << 20, tail);
      byte[] t = new byte[1 << 20];
      Arrays.fill(t, (byte) 0x11);
      assertThat(tail.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(t);
    }
    try (Passphrase wrong = Passphrase.fromChars("nope".toCharArray())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> LuksImage.open(img, wrong, TestCpu.cpu(), OpenOptions.defaults()))
          .isInstanceOf(WrongPassphraseException.class);
    }
  }

  @Test
  void qemuImgNbdkitAndCryptsetupReadKlcryptLuks1() throws Exception {
    Path img = dir.resolve("k1.luks");
    Path pw = dir.resolve("pw.txt");
    Files.writeString(pw, PASS);
    long dataBytes = 4L << 20;
    // 64-byte key: cryptsetup's layout puts the payload at 4096 sectors (2 MiB)
    Tools.ok(dir, "truncate", "-s", Long.toString((2L << 20) + dataBytes), img.toString());
    try (Passphrase p = Passphrase.fromFile(pw)) {
      LuksImage.format(
          img,
          FormatSpec.defaults().withType(LuksType.LUKS1).withKdf(KdfSpec.pbkdf2(1000)),
          p,
          TestCpu.cpu());
    }
    byte[] plain = new byte[(int) dataBytes];
    new Random(42).nextBytes(plain);
    try (Passphrase p = Passphrase.fromFile(pw);
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      assertThat(v.size()).isEqualTo(dataBytes);
      // one big aligned write, then a small unaligned overwrite (read-modify-write on 512-byte
      // sectors)
      v.write(0, MemorySegment.ofArray(plain.clone()));
      byte[] patch = new byte[777];
      new Random(7).nextBytes(patch);
      System.arraycopy(patch, 0, plain, 12345, patch.length);
      v.write(12345, MemorySegment.ofArray(patch));
      v.flush();
    }
    Tools.ok(dir, "cryptsetup", "isLuks", "--type", "luks1", img.toString());
    Tools.ok(dir, Tools.testPassphrase(img.toString(), pw.toString()));

    Path viaQemu = dir.resolve("qemu.raw");
    Tools.ok(
        dir,
        "qemu-img",
        "convert",
        "--object",
        "secret,id=sec0,file=" + pw,
        "--image-opts",
        "driver=luks,key-secret=sec0,file.filename=" + img,
        "-O",
        "raw",
        viaQemu.toString());
    assertThat(Files.readAllBytes(viaQemu)).isEqualTo(plain);

    Path viaNbdkit = dir.resolve("nbdkit.raw");
    Tools.ok(
        dir,
        "nbdkit",
        "-U",
        "-",
        "file",
        img.toString(),
        "--filter=luks",
        "passphrase=+" + pw,
        "--run",
        "nbdcopy \"$uri\" " + viaNbdkit);
    assertThat(Files.readAllBytes(viaNbdkit)).isEqualTo(plain);

    // and the key cryptsetup derives equals the one klcrypt wrote with: it decrypts sector 0 the
    // same way
    byte[] vk = Tools.cryptsetupVolumeKey(dir, img, pw);
    byte[] sector0 = new byte[512];
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
      f.seek(2L << 20);
      f.readFully(sector0);
    }
    dev.klcrypt.blockdev.testing.ReferenceXts.decrypt(vk, 512, 0, sector0);
    assertThat(sector0).isEqualTo(Arrays.copyOf(plain, 512));
  }

  @Test
  void luks1KeyslotManagementIsSeenByQemu() throws Exception {
    Path img = dir.resolve("k1.luks");
    Path pw = dir.resolve("pw.txt");
    Path pw2 = dir.resolve("pw2.txt");
    Files.writeString(pw, PASS);
    Files.writeString(pw2, "second");
    Tools.ok(dir, "truncate", "-s", "3M", img.toString());
    try (Passphrase p = Passphrase.fromFile(pw)) {
      LuksImage.format(
          img,
          FormatSpec.defaults()
              .withType(LuksType.LUKS1)
              .withKdf(KdfSpec.pbkdf2(1000))
              .withKeyBits(256),
          p,
          TestCpu.cpu());
    }
    try (Passphrase p = Passphrase.fromFile(pw);
        Passphrase p2 = Passphrase.fromFile(pw2)) {
      assertThat(LuksImage.changeKey(img, p, p2, KdfSpec.pbkdf2(1000), TestCpu.cpu())).isEqualTo(1);
    }
    assertThat(LuksImage.dump(img))
        .contains("Key Slot 0: DISABLED")
        .contains("Key Slot 1: ENABLED");
    Tools.ok(
        dir,
        "qemu-io",
        "--object",
        "secret,id=sec0,file=" + pw2,
        "--image-opts",
        "driver=luks,key-secret=sec0,file.filename=" + img,
        "-c",
        "read 0 4k");
    assertThat(
            Tools.run(
                    dir,
                    "qemu-io",
                    "--object",
                    "secret,id=sec0,file=" + pw,
                    "--image-opts",
                    "driver=luks,key-secret=sec0,file.filename=" + img,
                    "-c",
                    "read 0 4k")
                .exit())
        .as("the old passphrase no longer opens it")
        .isNotZero();
  }

  @Test
  void klcryptOpensCryptsetupLuks1WithItsVolumeKey() throws Exception {
    Path img = dir.resolve("cs1.luks");
    Path pw = dir.resolve("pw.txt");
    Files.writeString(pw, PASS);
    Tools.ok(dir, "truncate", "-s", "4M", img.toString());
    Tools.ok(
        dir,
        "cryptsetup",
        "luksFormat",
        "--batch-mode",
        "--disable-locks",
        "--type",
        "luks1",
        "--pbkdf-force-iterations",
        "1000",
        "--key-file",
        pw.toString(),
        img.toString());
    byte[] plain = new byte[5000];
    new Random(3).nextBytes(plain);
    long dataOffset;
    try (Passphrase p = Passphrase.fromFile(pw);
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      assertThat(v.info().type()).isEqualTo("luks1");
      dataOffset = v.info().dataOffset();
      v.write(100, MemorySegment.ofArray(plain.clone()));
    }
    byte[] vk = Tools.cryptsetupVolumeKey(dir, img, pw);
    byte[] raw = new byte[11 * 512];
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
      f.seek(dataOffset);
      f.readFully(raw);
    }
    dev.klcrypt.blockdev.testing.ReferenceXts.decrypt(vk, 512, 0, raw);
    assertThat(Arrays.copyOfRange(raw, 100, 100 + plain.length)).isEqualTo(plain);
  }
}
