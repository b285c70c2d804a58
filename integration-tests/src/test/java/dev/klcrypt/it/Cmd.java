package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a real program and collects its exit code and output. */
final class Cmd {
  /** What a finished program left. */
  record Result(List<String> argv, int exit, String out, String err) {
    /** Asserts exit 0 and returns stdout. */
    String ok() {
      assertThat(exit).as("exit code of %s%nstdout: %s%nstderr: %s", argv, out, err).isZero();
      return out;
    }

    @Override
    public String toString() {
      return argv + " -> " + exit + "\nstdout: " + out + "\nstderr: " + err;
    }
  }

  private Cmd() {}

  static Result run(String... argv) {
    return run(List.of(argv), null, 600);
  }

  static Result runWithInput(byte[] stdin, String... argv) {
    return run(List.of(argv), stdin, 600);
  }

  static Result run(List<String> argv, byte[] stdin, long timeoutSeconds) {
    try {
      Process p = new ProcessBuilder(new ArrayList<>(argv)).start();
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      try (OutputStream in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      } catch (IOException closedEarly) {
        // the program did not read all of its input; its exit code tells the rest
      }
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(argv + " did not finish within " + timeoutSeconds + " s");
      }
      return new Result(List.copyOf(argv), p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new AssertionError("cannot run " + argv + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + argv, e);
    }
  }

  /** Shell one-liner (pipes, redirections). */
  static Result sh(String script) {
    return run(List.of("bash", "-euo", "pipefail", "-c", script), null, 900);
  }

  /**
   * Drains run on their own threads, not the common pool: programs run in parallel from test
   * threads (a request blocked in a suspended volume) would otherwise hold the common pool's one
   * thread on a 2-core machine and starve every other program's drain.
   */
  private static final java.util.concurrent.ExecutorService DRAINS =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "cmd-drain");
            t.setDaemon(true);
            return t;
          });

  private static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "<unreadable: " + e.getMessage() + ">";
          }
        },
        DRAINS);
  }
}
