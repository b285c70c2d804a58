package dev.klcrypt.blockdev.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real peer tools (cryptsetup, qemu-img, qemu-io, nbdkit) with a timeout. */
public final class Tools {
  private Tools() {}

  /** Exit code and combined output. */
  public record Result(int exit, String output) {}

  public static Result run(Path dir, String... cmd) {
    Result r = runOnce(dir, cmd);
    // qemu-img times PBKDF2 on thread CPU time at tick granularity and now and then fails with
    // "Unable to get accurate CPU usage" before writing anything useful: that is qemu's benchmark,
    // not the image, so try again (it overwrites the file).
    for (int attempt = 1;
        attempt < 5
            && cmd[0].equals("qemu-img")
            && r.exit() != 0
            && r.output().contains("Unable to get accurate CPU usage");
        attempt++) {
      r = runOnce(dir, cmd);
    }
    return r;
  }

  private static Result runOnce(Path dir, String... cmd) {
    try {
      ProcessBuilder pb =
          new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true);
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      Process p = pb.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + String.join(" ", cmd));
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * The command line of {@code cryptsetup open --test-passphrase} (checks a passphrase without dm):
   * image and key file as {@code toString()} forms.
   */
  public static String[] testPassphrase(String image, String keyFile) {
    return new String[] {
      "cryptsetup", "open", "--disable-locks", "--test-passphrase", "--key-file", keyFile, image
    };
  }

  /** Runs and requires exit 0; returns the output. */
  public static String ok(Path dir, String... cmd) {
    Result r = run(dir, cmd);
    assertThat(r.exit()).as("%s\n%s", String.join(" ", cmd), r.output()).isZero();
    return r.output();
  }

  /**
   * The volume key cryptsetup unlocks with {@code keyFile} ({@code luksDump --dump-volume-key}).
   */
  public static byte[] cryptsetupVolumeKey(Path dir, Path image, Path keyFile) {
    String out =
        ok(
            dir,
            "cryptsetup",
            "luksDump",
            "--batch-mode",
            "--disable-locks",
            "--dump-volume-key",
            "--key-file",
            keyFile.toString(),
            image.toString());
    int at = out.indexOf("MK dump:");
    assertThat(at).as(out).isPositive();
    StringBuilder hex = new StringBuilder();
    for (String tok : out.substring(at + "MK dump:".length()).trim().split("\\s+")) {
      if (!tok.matches("[0-9a-f]{2}")) {
        break;
      }
      hex.append(tok);
    }
    return HexFormat.of().parseHex(hex);
  }
}
