package dev.klcrypt.daemon.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdNotifierTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir Path dir;
  private EventLoopGroup group;

  @BeforeEach
  void group() {
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  }

  @AfterEach
  void shutdown() throws InterruptedException {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  @Test
  void sendsTheLifecycleMessagesToAFilesystemSocket() throws Exception {
    try (NotifySocketReceiver systemd =
            NotifySocketReceiver.bind(dir.resolve("notify").toString());
        SystemdNotifier notifier =
            SystemdNotifier.fromEnvironment(
                Map.of("NOTIFY_SOCKET", systemd.notifySocket()), group)) {
      assertThat(notifier.enabled()).isTrue();

      assertThat(notifier.status("opening 2 volumes")).isTrue();
      assertThat(systemd.next(WAIT)).isEqualTo("STATUS=opening 2 volumes");

      assertThat(notifier.ready("2 volumes open\n1 waiting")).isTrue();
      assertThat(systemd.next(WAIT)).isEqualTo("READY=1\nSTATUS=2 volumes open 1 waiting");

      long before = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
      assertThat(notifier.reloading("reloading the table")).isTrue();
      long after = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
      List<String> reload = systemd.next(WAIT).lines().toList();
      assertThat(reload).hasSize(3);
      assertThat(reload.get(0)).isEqualTo("RELOADING=1");
      assertThat(reload.get(1)).startsWith("MONOTONIC_USEC=");
      assertThat(Long.parseLong(reload.get(1).substring("MONOTONIC_USEC=".length())))
          .isBetween(before, after);
      assertThat(reload.get(2)).isEqualTo("STATUS=reloading the table");

      assertThat(notifier.stopping("closing volumes")).isTrue();
      assertThat(systemd.next(WAIT)).isEqualTo("STOPPING=1\nSTATUS=closing volumes");

      assertThat(notifier.watchdog()).isTrue();
      assertThat(systemd.next(WAIT)).isEqualTo("WATCHDOG=1");
      assertThat(systemd.next(Duration.ofMillis(100))).isNull();
    }
  }

  @Test
  void reachesAnAbstractSocketName() throws Exception {
    String name = "@klcrypt-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    try (NotifySocketReceiver systemd = NotifySocketReceiver.bind(name);
        SystemdNotifier notifier =
            SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", name), group)) {
      assertThat(notifier.ready("up")).isTrue();
      assertThat(systemd.next(WAIT)).isEqualTo("READY=1\nSTATUS=up");
    }
  }

  @Test
  void withoutNotifySocketEverythingIsANoOp() {
    for (Map<String, String> env :
        List.of(
            Map.<String, String>of(),
            Map.of("NOTIFY_SOCKET", ""),
            Map.of("NOTIFY_SOCKET", "vsock:2:1234"),
            Map.of("NOTIFY_SOCKET", "relative/notify"))) {
      try (SystemdNotifier notifier = SystemdNotifier.fromEnvironment(env, group)) {
        assertThat(notifier.enabled()).as("%s", env).isFalse();
        assertThat(notifier.ready("x")).isFalse();
        assertThat(notifier.watchdogInterval()).isEmpty();
        notifier.startWatchdog(() -> true);
      }
    }
  }

  @Test
  void aMissingSocketFailsTheSendWithoutThrowing() {
    try (SystemdNotifier notifier =
        SystemdNotifier.fromEnvironment(
            Map.of("NOTIFY_SOCKET", dir.resolve("nobody-listens").toString()), group)) {
      assertThat(notifier.enabled()).isTrue();
      assertThat(notifier.ready("up")).isFalse();
    }
  }

  @Test
  void watchdogPingsAtHalfTheIntervalWhileHealthy() throws Exception {
    AtomicBoolean healthy = new AtomicBoolean(true);
    String pid = Long.toString(ProcessHandle.current().pid());
    try (NotifySocketReceiver systemd = NotifySocketReceiver.bind(dir.resolve("wd").toString());
        SystemdNotifier notifier =
            SystemdNotifier.fromEnvironment(
                Map.of(
                    "NOTIFY_SOCKET",
                    systemd.notifySocket(),
                    "WATCHDOG_USEC",
                    "100000",
                    "WATCHDOG_PID",
                    pid),
                group)) {
      assertThat(notifier.watchdogInterval()).hasValue(Duration.ofMillis(50));
      long start = System.nanoTime();
      notifier.startWatchdog(healthy::get);
      List<String> pings = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        pings.add(systemd.next(WAIT));
      }
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(pings).containsOnly("WATCHDOG=1");
      assertThat(elapsedMillis).isGreaterThanOrEqualTo(140);

      healthy.set(false);
      Thread.sleep(60); // let a ping that was already scheduled go out
      while (systemd.next(Duration.ZERO) != null) {
        // drain
      }
      assertThat(systemd.next(Duration.ofMillis(250))).as("no ping while unhealthy").isNull();

      healthy.set(true);
      assertThat(systemd.next(WAIT)).isEqualTo("WATCHDOG=1");
      notifier.stopWatchdog();
      Thread.sleep(60);
      while (systemd.next(Duration.ZERO) != null) {
        // drain
      }
      assertThat(systemd.next(Duration.ofMillis(250))).as("no ping after stopWatchdog").isNull();
    }
  }

  @Test
  void watchdogSettingsFollowSdWatchdogEnabled() {
    long me = 4242;
    assertThat(WatchdogSettings.pingInterval(Map.of(), me)).isEmpty();
    assertThat(WatchdogSettings.pingInterval(Map.of("WATCHDOG_USEC", "30000000"), me))
        .hasValue(Duration.ofSeconds(15));
    assertThat(
            WatchdogSettings.pingInterval(
                Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "4242"), me))
        .hasValue(Duration.ofSeconds(15));
    assertThat(
            WatchdogSettings.pingInterval(
                Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "1"), me))
        .isEmpty();
    assertThat(WatchdogSettings.pingInterval(Map.of("WATCHDOG_USEC", "soon"), me)).isEmpty();
    assertThat(WatchdogSettings.pingInterval(Map.of("WATCHDOG_USEC", "0"), me)).isEmpty();
    assertThat(
            WatchdogSettings.pingInterval(
                Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "x"), me))
        .isEmpty();
  }
}
