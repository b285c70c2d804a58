package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** klcrypt's verbs, passphrase sources and exit codes (docs/CLI.md) against a real daemon. */
class CliTest {
  private static Workspace ws;
  private static DaemonProcess daemon;
  private static Path image;
  private static Path key;

  @BeforeAll
  static void start() throws Exception {
    ws = Workspace.create("cli");
    daemon = DaemonProcess.start(ws.resolve("run"));
    image = ws.resolve("cli.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 40L * 1024 * 1024, "first passphrase");
    key = ws.resolve("cli.img.key");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (daemon != null) {
        assertThat(daemon.terminate()).isZero();
      }
    } finally {
      ws.close();
    }
  }

  @Test
  void wrongPassphraseExitsTwo() {
    Path wrong = write("wrong.key", "not it");
    Cmd.Result r = daemon.klcrypt("open", "--key-file", wrong.toString(), image.toString(), "x");
    assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    assertThat(daemon.klcrypt("status", "x").exit()).isEqualTo(4);
  }

  @Test
  void missingImageExitsFourAndUnknownVolumeExitsFour() {
    Cmd.Result r =
        daemon.klcrypt(
            "open", "--key-file", key.toString(), ws.resolve("nope.img").toString(), "x");
    assertThat(r.exit()).as(r.toString()).isEqualTo(4);
    Cmd.Result status = daemon.klcrypt("status", "never-opened");
    assertThat(status.exit()).isEqualTo(4);
    assertThat(status.out()).contains("never-opened is inactive.");
    assertThat(daemon.klcrypt("close", "never-opened").exit()).isEqualTo(4);
    Cmd.Result noKey =
        daemon.klcrypt(
            "open", "--key-file", ws.resolve("no.key").toString(), image.toString(), "x");
    assertThat(noKey.exit()).as(noKey.toString()).isEqualTo(4);
  }

  @Test
  void busyNamesAndImagesExitFive() throws Exception {
    daemon.klcrypt("open", "--key-file", key.toString(), image.toString(), "busy").ok();
    try {
      Path other = ws.resolve("other.img");
      ImageMaker.KLCRYPT_LUKS2.make(ws, other, 40L * 1024 * 1024, "other");
      Cmd.Result sameName =
          daemon.klcrypt(
              "open",
              "--key-file",
              ws.resolve("other.img.key").toString(),
              other.toString(),
              "busy");
      assertThat(sameName.exit()).as(sameName.toString()).isEqualTo(5);
      Cmd.Result sameImage =
          daemon.klcrypt("open", "--key-file", key.toString(), image.toString(), "busy2");
      assertThat(sameImage.exit()).as(sameImage.toString()).isEqualTo(5);
      // a loop device klcrypt did not make keeps the volume busy: close refuses with 5
      String loop =
          Cmd.run("losetup", "--find", "--show", daemon.volumeFile("busy").toString()).ok().strip();
      try {
        Cmd.Result busy = daemon.klcrypt("close", "busy");
        assertThat(busy.exit()).as(busy.toString()).isEqualTo(5);
        assertThat(daemon.klcrypt("status", "busy").ok()).contains("is in use");
      } finally {
        Cmd.run("losetup", "-d", loop).ok();
      }
    } finally {
      daemon.klcrypt("close", "busy").ok();
    }
  }

  @Test
  void daemonNotRunningExitsSix() {
    Cmd.Result r =
        Cmd.run(
            Repo.klcrypt(),
            "--runtime-dir",
            ws.resolve("no-daemon-here").toString(),
            "status",
            "x");
    assertThat(r.exit()).as(r.toString()).isEqualTo(6);
    assertThat(r.err()).contains("Is the daemon running?");
  }

  @Test
  void usageErrorsExitOne() {
    assertThat(Cmd.run(Repo.klcrypt()).exit()).isEqualTo(1);
    assertThat(Cmd.run(Repo.klcrypt(), "open").exit()).isEqualTo(1);
    assertThat(Cmd.run(Repo.klcrypt(), "frobnicate").exit()).isEqualTo(1);
    Cmd.Result sector =
        Cmd.run(
            Repo.klcrypt(),
            "luksFormat",
            "--batch-mode",
            "--sector-size",
            "1024",
            image.toString());
    assertThat(sector.exit()).as(sector.toString()).isEqualTo(1);
    Cmd.Result notLuks = Cmd.run(Repo.klcrypt(), "luksDump", key.toString());
    assertThat(notLuks.exit()).as(notLuks.toString()).isEqualTo(1);
  }

  @Test
  void passphraseFromStdinLineAndFromKeyFileDash() {
    byte[] line = "first passphrase\n".getBytes(StandardCharsets.UTF_8);
    daemon.klcryptWithInput(line, "open", image.toString(), "stdin-line").ok();
    daemon.klcrypt("close", "stdin-line").ok();
    // --key-file - takes all of stdin, newline included: that is a different passphrase
    assertThat(
            daemon
                .klcryptWithInput(line, "open", "--key-file", "-", image.toString(), "dash")
                .exit())
        .isEqualTo(2);
    byte[] exact = "first passphrase".getBytes(StandardCharsets.UTF_8);
    daemon.klcryptWithInput(exact, "open", "--key-file", "-", image.toString(), "dash").ok();
    daemon.klcrypt("close", "dash").ok();
  }

  @Test
  void addAndRemoveKeys() throws Exception {
    Path img = ws.resolve("keys.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, img, 40L * 1024 * 1024, "old");
    Path oldKey = ws.resolve("keys.img.key");
    Path newKey = write("new.key", "new");
    Cmd.Result added =
        Cmd.run(
            Repo.klcrypt(),
            "luksAddKey",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            "--key-file",
            oldKey.toString(),
            img.toString(),
            newKey.toString());
    assertThat(added.ok()).contains("Key slot 1 created.");
    assertThat(Cmd.run(Repo.klcrypt(), "luksDump", img.toString()).ok())
        .contains("  0: luks2", "  1: luks2");
    Cmd.run(Repo.klcrypt(), "luksRemoveKey", "--key-file", oldKey.toString(), img.toString()).ok();
    assertThat(daemon.klcrypt("open", "--key-file", oldKey.toString(), img.toString(), "k").exit())
        .isEqualTo(2);
    daemon.klcrypt("open", "--key-file", newKey.toString(), img.toString(), "k").ok();
    daemon.klcrypt("close", "k").ok();
    // cryptsetup agrees
    Cmd.run(
            "cryptsetup",
            "open",
            "--test-passphrase",
            "--key-file",
            newKey.toString(),
            img.toString())
        .ok();
    assertThat(
            Cmd.run(
                    "cryptsetup",
                    "open",
                    "--test-passphrase",
                    "--key-file",
                    oldKey.toString(),
                    img.toString())
                .exit())
        .isEqualTo(2);
  }

  @Test
  void statusDescribesTheVolume() {
    daemon
        .klcrypt("open", "--allow-discards", "--key-file", key.toString(), image.toString(), "st")
        .ok();
    try {
      String status = daemon.klcrypt("status", "st").ok();
      assertThat(status)
          .contains(daemon.volumeFile("st") + " is active.")
          .contains("type:         LUKS2")
          .contains("cipher:       aes-xts-plain64")
          .contains("keysize:      512 bits")
          .contains("device:       " + image)
          .contains("flags:        discards");
    } finally {
      daemon.klcrypt("close", "st").ok();
    }
  }

  @Test
  void luksFormatWithoutBatchModeNeedsACapitalYes() throws Exception {
    Path img = ws.sparseFile("confirm.img", 40L * 1024 * 1024);
    byte[] no = "yes\nsecret\n".getBytes(StandardCharsets.UTF_8);
    Cmd.Result refused =
        Cmd.runWithInput(
            no,
            Repo.klcrypt(),
            "luksFormat",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            img.toString());
    assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("This will overwrite data", "Operation aborted.");
    assertThat(Cmd.run("cryptsetup", "isLuks", img.toString()).exit()).isNotZero();
    byte[] yes = "YES\nsecret\n".getBytes(StandardCharsets.UTF_8);
    Cmd.runWithInput(
            yes,
            Repo.klcrypt(),
            "luksFormat",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            img.toString())
        .ok();
    assertThat(Cmd.run("cryptsetup", "isLuks", img.toString()).exit()).isZero();
    // the second stdin line (newline excluded) became the passphrase
    Path secret = write("confirm.key", "secret");
    Cmd.run(
            "cryptsetup",
            "open",
            "--test-passphrase",
            "--key-file",
            secret.toString(),
            img.toString())
        .ok();
  }

  @Test
  void benchmarkPrintsBothKeySizes() {
    String out = Cmd.run(Repo.klcrypt(), "benchmark", "--time-ms", "200").ok();
    assertThat(out).containsPattern("aes-xts\\(kl\\)\\s+256b\\s+[0-9.]+ MiB/s\\s+[0-9.]+ MiB/s");
    assertThat(out).containsPattern("aes-xts\\(kl\\)\\s+512b\\s+[0-9.]+ MiB/s\\s+[0-9.]+ MiB/s");
  }

  private static Path write(String name, String content) {
    try {
      return ws.keyFile(name, content);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
