package dev.klcrypt.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code klcryptd}: runs the daemon in the foreground until SIGTERM or SIGINT, then exits 0. */
@Command(
    name = "klcryptd",
    mixinStandardHelpOptions = true,
    version = "klcryptd 0.1.0",
    description =
        "Serves open LUKS volumes as files under RUNTIME-DIR/volumes/ (FUSE) and takes requests on"
            + " RUNTIME-DIR/control.sock.")
public final class Klcryptd implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Klcryptd.class);

  @Option(
      names = "--runtime-dir",
      paramLabel = "DIR",
      defaultValue = "/run/klcrypt",
      description = "holds control.sock and the volumes/ mount (default: ${DEFAULT-VALUE})")
  Path runtimeDir;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "the platform's persistent state; the sealed IWKey backup is DIR/iwkey.backup (default:"
              + " stateDir from --config, else RUNTIME-DIR/platform; the shipped config says"
              + " /var/lib/klcrypt)")
  Path stateDir;

  @Option(names = "--config", paramLabel = "FILE", description = "daemon configuration file")
  Path config;

  @Override
  public Integer call() throws Exception {
    if (config != null && !Files.isReadable(config)) {
      System.err.println("klcryptd: cannot read config file " + config);
      return 1;
    }
    CountDownLatch stop = new CountDownLatch(1);
    ProcessSignals.on(
        "klcryptd termination (SIGTERM, SIGINT) handler", stop::countDown, "TERM", "INT");
    List<DaemonExtension> extensions = new ArrayList<>();
    ServiceLoader.load(DaemonExtension.class).forEach(extensions::add);
    Daemon daemon;
    try {
      daemon =
          Daemon.start(
              runtimeDir, Optional.ofNullable(stateDir), Optional.ofNullable(config), extensions);
    } catch (DaemonAlreadyRunningException e) {
      System.err.println("klcryptd: " + e.getMessage());
      return 5;
    }
    stop.await();
    LOG.info("termination signal received");
    daemon.close();
    return 0;
  }

  /** The failure and its causes in one line (no stack trace for expected start-up failures). */
  private static String describe(Throwable failure) {
    StringBuilder out = new StringBuilder(failure.toString());
    for (Throwable c = failure.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      out.append(" <- ").append(c);
    }
    return out.toString();
  }

  public static void main(String[] args) {
    int code;
    try {
      code =
          new CommandLine(new Klcryptd())
              .setExecutionExceptionHandler(
                  (ex, cmd, parsed) -> {
                    LOG.error("klcryptd failed to start: {}", describe(ex));
                    return 1;
                  })
              .execute(args);
    } catch (RuntimeException e) {
      LOG.error("klcryptd failed: {}", e.toString());
      code = 1;
    }
    System.exit(code);
  }
}
