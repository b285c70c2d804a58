package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code bin/klcryptd} child process on its own runtime directory, plus {@code bin/klcrypt}
 * against it.
 */
final class DaemonProcess implements AutoCloseable {
  private static final long START_TIMEOUT_SECONDS = 90;

  private final Path runtimeDir;
  private final Path log;
  private final Process process;
  private final long logStart;

  private DaemonProcess(Path runtimeDir, Path log, Process process, long logStart) {
    this.runtimeDir = runtimeDir;
    this.log = log;
    this.process = process;
    this.logStart = logStart;
  }

  /** Starts klcryptd and waits until its control socket answers. */
  static DaemonProcess start(Path runtimeDir) throws IOException, InterruptedException {
    return start(runtimeDir, "");
  }

  /** The same with extra JVM options (they come after the launcher's own, so they win). */
  static DaemonProcess start(Path runtimeDir, String javaOpts)
      throws IOException, InterruptedException {
    Path log = runtimeDir.resolveSibling(runtimeDir.getFileName() + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(Repo.klcryptd(), "--runtime-dir", runtimeDir.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("KLCRYPT_JAVA_OPTS", ("-Xmx1g " + javaOpts).strip());
    long logStart = Files.exists(log) ? Files.size(log) : 0;
    DaemonProcess d = new DaemonProcess(runtimeDir, log, pb.start(), logStart);
    d.awaitReady();
    return d;
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "klcryptd exited with " + process.exitValue() + " while starting:\n" + log());
      }
      if (Files.exists(controlSocket()) && log().contains("klcryptd ready")) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("klcryptd not ready after " + START_TIMEOUT_SECONDS + " s:\n" + log());
  }

  Path runtimeDir() {
    return runtimeDir;
  }

  Path controlSocket() {
    return runtimeDir.resolve("control.sock");
  }

  Path volumeFile(String name) {
    return runtimeDir.resolve("volumes").resolve(name);
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** What this daemon logged (earlier daemons on the same runtime dir append to the same file). */
  String log() {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      String all = Files.readString(log);
      return all.substring((int) Math.min(logStart, all.length()));
    } catch (IOException e) {
      return "<unreadable log: " + e.getMessage() + ">";
    }
  }

  /** Runs {@code bin/klcrypt --runtime-dir DIR args...}. */
  Cmd.Result klcrypt(String... args) {
    return klcryptWithInput(null, args);
  }

  Cmd.Result klcryptWithInput(byte[] stdin, String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(Repo.klcrypt());
    argv.add("--runtime-dir");
    argv.add(runtimeDir.toString());
    argv.addAll(List.of(args));
    return Cmd.run(argv, stdin, 600);
  }

  /** Opens IMAGE as NAME with a key file and a loop device; returns the loop device. */
  String openWithLoop(Path image, String name, Path keyFile) {
    String out =
        klcrypt("open", "--loop", "--key-file", keyFile.toString(), image.toString(), name).ok();
    String loop = out.strip();
    assertThat(loop).startsWith("/dev/loop");
    return loop;
  }

  /** SIGTERM, then waits; returns the exit code. */
  int terminate() throws InterruptedException {
    process.toHandle().destroy(); // SIGTERM
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("klcryptd did not stop within 60 s of SIGTERM:\n" + log());
    }
    return process.exitValue();
  }

  /** SIGKILL, then waits. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Stops the daemon if still running; asserts a clean exit (0) when it had to be stopped. */
  @Override
  public void close() {
    if (process.isAlive()) {
      int code;
      try {
        code = terminate();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new AssertionError("interrupted while stopping klcryptd", e);
      }
      assertThat(code).as("klcryptd exit code after SIGTERM; log:%n%s", log()).isZero();
    }
  }
}
