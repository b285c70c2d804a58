package dev.klcrypt.daemon.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.daemon.Daemon;
import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real daemon (FUSE mount, emulated platform, control socket) notifying a real datagram receiver.
 */
class SystemdNotifyExtensionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  @Test
  void readyComesAfterEveryExtensionStartedAndStoppingComesOnClose() throws Exception {
    AtomicLong lastStartedNanos = new AtomicLong();
    DaemonExtension slowStarter =
        new DaemonExtension() {
          @Override
          public void started(DaemonContext context) throws Exception {
            Thread.sleep(200); // stands in for the volume table opening its volumes
            lastStartedNanos.set(System.nanoTime());
          }
        };
    try (NotifySocketReceiver systemd =
        NotifySocketReceiver.bind(dir.resolve("notify").toString())) {
      Map<String, String> env = Map.of("NOTIFY_SOCKET", systemd.notifySocket());
      Daemon daemon =
          Daemon.start(
              dir.resolve("run"),
              Optional.empty(),
              List.of(new SystemdNotifyExtension(env), slowStarter));
      try {
        String first = systemd.next(WAIT);
        assertThat(first).startsWith("STATUS=starting: volumes filesystem mounted at ");
        String ready = systemd.next(WAIT);
        long readyNanos = System.nanoTime();
        assertThat(ready)
            .isEqualTo(
                "READY=1\nSTATUS=0 volumes open under " + dir.resolve("run").resolve("volumes"));
        assertThat(lastStartedNanos.get()).isPositive().isLessThan(readyNanos);
      } finally {
        daemon.close();
      }
      assertThat(systemd.awaitLine("STOPPING=1", WAIT))
          .isEqualTo("STOPPING=1\nSTATUS=stopping: closing 0 volume(s)");
    }
  }

  @Test
  void withoutNotifySocketTheDaemonRunsAndNothingIsSent() throws Exception {
    try (NotifySocketReceiver systemd =
        NotifySocketReceiver.bind(dir.resolve("notify").toString())) {
      Daemon daemon =
          Daemon.start(
              dir.resolve("run"), Optional.empty(), List.of(new SystemdNotifyExtension(Map.of())));
      daemon.close();
      assertThat(systemd.next(Duration.ofMillis(300))).isNull();
    }
  }

  @Test
  void watchdogPingsWhileTheVolumesFilesystemAnswersAndStopWhenItIsGone() throws Exception {
    try (NotifySocketReceiver systemd =
        NotifySocketReceiver.bind(dir.resolve("notify").toString())) {
      Map<String, String> env =
          Map.of(
              "NOTIFY_SOCKET",
              systemd.notifySocket(),
              "WATCHDOG_USEC",
              "200000",
              "WATCHDOG_PID",
              Long.toString(ProcessHandle.current().pid()));
      Daemon daemon =
          Daemon.start(
              dir.resolve("run"), Optional.empty(), List.of(new SystemdNotifyExtension(env)));
      Path mount = dir.resolve("run").resolve(Daemon.VOLUMES_DIR);
      try {
        assertThat(systemd.awaitLine("WATCHDOG=1", WAIT)).isEqualTo("WATCHDOG=1");
        assertThat(systemd.awaitLine("WATCHDOG=1", WAIT)).isEqualTo("WATCHDOG=1");
        assertThat(SystemdNotifyExtension.volumesFilesystemAnswers(mount)).isTrue();

        // someone takes the mount away: the daemon can serve nothing, so systemd must restart it
        Process umount = new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start();
        assertThat(umount.waitFor()).isZero();
        assertThat(SystemdNotifyExtension.volumesFilesystemAnswers(mount)).isFalse();
        Thread.sleep(300); // a ping already on its way may still arrive
        while (systemd.next(Duration.ZERO) != null) {}
        assertThat(systemd.next(Duration.ofSeconds(1)))
            .as("no ping for 1 s (5 intervals)")
            .isNull();
      } finally {
        daemon.close();
      }
    }
  }
}
