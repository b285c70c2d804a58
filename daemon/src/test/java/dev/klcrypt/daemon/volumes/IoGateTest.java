package dev.klcrypt.daemon.volumes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IoGateTest {
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  private Future<Throwable> request(IoGate gate) {
    return threads.submit(
        () -> {
          try {
            gate.enter("v");
            gate.exit();
            return null;
          } catch (Throwable t) {
            return t;
          }
        });
  }

  private static void awaitWaiting(IoGate gate, long n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (gate.waiting() < n) {
      assertThat(System.nanoTime()).as("requests never reached the gate").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void requestsWaitAtAClosedGateAndGoOnWhenItOpens() throws Exception {
    IoGate gate = new IoGate(30_000);
    gate.close();
    Future<Throwable> a = request(gate);
    Future<Throwable> b = request(gate);
    awaitWaiting(gate, 2);
    Thread.sleep(100);
    assertThat(a).isNotDone();
    assertThat(b).isNotDone();
    gate.open();
    assertThat(a.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(b.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(gate.waiting()).isZero();
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  void aFailedGateWakesEveryWaiterWithEnodevAndRefusesLaterRequests() throws Exception {
    IoGate gate = new IoGate(30_000);
    gate.close();
    Future<Throwable> waiting = request(gate);
    awaitWaiting(gate, 1);
    gate.fail("IWKey restore failed (corrupted)");
    Throwable t = waiting.get(10, TimeUnit.SECONDS);
    assertThat(t).isInstanceOf(RequestRefusedException.class).hasMessageContaining("corrupted");
    assertThat(((RequestRefusedException) t).errno()).isEqualTo(Errno.ENODEV);
    Throwable later = catchThrowable(() -> gate.enter("w"));
    assertThat(((RequestRefusedException) later).errno()).isEqualTo(Errno.ENODEV);
    assertThat(gate.inFlight()).as("refused requests never count as in flight").isZero();
    gate.open();
    gate.enter("w");
    gate.exit();
  }

  @Test
  void aRequestWaitsAtMostTheTimeoutThenGetsEio() throws Exception {
    IoGate gate = new IoGate(200);
    gate.close();
    long start = System.nanoTime();
    Throwable t = catchThrowable(() -> gate.enter("v"));
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;
    assertThat(((RequestRefusedException) t).errno()).isEqualTo(Errno.EIO);
    assertThat(t).hasMessageContaining("suspendTimeoutMillis");
    assertThat(waitedMillis).isBetween(190L, 5_000L);
  }

  @Test
  void awaitIdleWaitsForRequestsInFlight() throws Exception {
    IoGate gate = new IoGate(30_000);
    gate.enter("v");
    gate.close();
    assertThat(gate.awaitIdle(50)).isFalse();
    CompletableFuture<Boolean> idle =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return gate.awaitIdle(10_000);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            },
            threads);
    Thread.sleep(50);
    assertThat(idle).isNotDone();
    gate.exit();
    assertThat(idle.get(10, TimeUnit.SECONDS)).isTrue();
  }
}
