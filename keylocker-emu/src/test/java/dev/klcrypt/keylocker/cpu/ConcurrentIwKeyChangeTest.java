package dev.klcrypt.keylocker.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instructions racing with IWKey loss and restore: every instruction either fails (ZF) or gives the
 * right answer, never one computed from a half-wiped key schedule.
 */
class ConcurrentIwKeyChangeTest {
  @TempDir Path state;

  @Test
  void encryptionsRacingSuspendResumeAreRightOrRejected() throws Exception {
    try (EmulatedPlatform p = EmulatedPlatform.boot(PlatformConfig.defaults(state));
        ClearKey k = ClearKey.allocate(64)) {
      k.segment().fill((byte) 0x3c);
      XtsSectorCipher c = XtsSectorCipher.create(p.cpu(), k, 4096);
      byte[] plain = new byte[4096];
      Arrays.fill(plain, (byte) 0x11);
      byte[] expected = new byte[4096];
      c.encrypt(80, MemorySegment.ofArray(plain), MemorySegment.ofArray(expected));

      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong good = new AtomicLong();
      AtomicLong rejected = new AtomicLong();
      AtomicLong wrong = new AtomicLong();
      Runnable worker =
          () -> {
            byte[] out = new byte[4096];
            while (!stop.get()) {
              try {
                c.encrypt(80, MemorySegment.ofArray(plain), MemorySegment.ofArray(out));
                if (Arrays.equals(out, expected)) {
                  good.incrementAndGet();
                } else {
                  wrong.incrementAndGet();
                }
              } catch (HandleRejectedException e) {
                rejected.incrementAndGet();
              }
            }
          };
      Thread a = Thread.ofPlatform().start(worker);
      Thread b = Thread.ofPlatform().start(worker);
      for (int i = 0; i < 200; i++) {
        p.suspend();
        Thread.onSpinWait();
        assertThat(p.resume().restored()).isTrue();
      }
      stop.set(true);
      a.join();
      b.join();
      assertThat(wrong.get()).as("results from a half-changed IWKey").isZero();
      assertThat(good.get()).isPositive();
    }
  }
}
