package dev.klcrypt.daemon.loop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Loop devices over volume files, through util-linux {@code losetup}. */
public final class LoopDevices {
  private static final long TIMEOUT_SECONDS = 30;

  private LoopDevices() {}

  /**
   * Attaches the first free loop device to {@code file} with direct I/O on (no second page cache,
   * spike-results.md) and the volume's sector size as the logical block size, so every request is
   * whole sectors.
   *
   * @return the device path, e.g. {@code /dev/loop3}
   */
  public static String attach(Path file, int sectorSize) throws IOException, InterruptedException {
    String out =
        run(
            "losetup",
            "--find",
            "--show",
            "--direct-io=on",
            "--sector-size",
            Integer.toString(sectorSize),
            file.toString());
    String device = out.strip();
    if (!device.startsWith("/dev/loop")) {
      throw new IOException("losetup printed no device for " + file + ": " + device);
    }
    return device;
  }

  /**
   * Detaches {@code device} (if something still has it open, the kernel detaches it on last close).
   */
  public static void detach(String device) throws IOException, InterruptedException {
    run("losetup", "--detach", device);
  }

  /** Loop devices whose backing file is {@code file}. */
  public static List<String> backedBy(Path file) throws IOException, InterruptedException {
    String out =
        run("losetup", "--noheadings", "--output", "NAME", "--associated", file.toString());
    List<String> devices = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        devices.add(line.strip());
      }
    }
    return devices;
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(
          String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + out.strip());
    }
    return out;
  }
}
