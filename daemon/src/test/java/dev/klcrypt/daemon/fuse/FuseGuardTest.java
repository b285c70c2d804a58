package dev.klcrypt.daemon.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.VolumeRangeException;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.keylocker.cpu.KeyLockerUnavailableException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseGuardTest {
  /** Records what the guard reports. */
  static final class Recorder implements FuseOpListener {
    final List<String> events = new ArrayList<>();

    @Override
    public void completed(FuseOp op, String volume, long result, long nanos) {
      events.add("ok " + op.label() + " " + volume + " " + result);
    }

    @Override
    public void failed(FuseOp op, String volume, Errno errno, long nanos) {
      events.add("fail " + op.label() + " " + volume + " " + errno);
    }
  }

  @Test
  void successPassesTheResultThrough() {
    Recorder r = new Recorder();
    FuseGuard guard = new FuseGuard(r);
    assertThat(guard.run(FuseOp.READ, "v", 0, 4096, () -> 4096)).isEqualTo(4096);
    assertThat(r.events).containsExactly("ok read v 4096");
  }

  @Test
  void typedFailuresBecomeNegativeErrnoAndAreCounted() {
    Recorder r = new Recorder();
    FuseGuard guard = new FuseGuard(r);
    assertThat(
            guard.run(
                FuseOp.WRITE,
                "v",
                1 << 20,
                4096,
                () -> {
                  throw new KeyLockerUnavailableException("soft-disabled");
                }))
        .isEqualTo(-19);
    assertThat(
            guard.run(
                FuseOp.READ,
                "v",
                0,
                1,
                () -> {
                  throw new BackingStoreIoException("pread");
                }))
        .isEqualTo(-5);
    assertThat(
            guard.run(
                FuseOp.WRITE,
                "v",
                1L << 40,
                1,
                () -> {
                  throw new VolumeRangeException(1L << 40, 1, 1 << 20);
                }))
        .isEqualTo(-22);
    assertThat(r.events)
        .containsExactly("fail write v ENODEV", "fail read v EIO", "fail write v EINVAL");
  }

  @Test
  void errorsAndCheckedExceptionsNeverEscape() {
    FuseGuard guard = new FuseGuard(FuseOpListener.NONE);
    assertThat(
            guard.run(
                FuseOp.FSYNC,
                "v",
                -1,
                -1,
                () -> {
                  throw new StackOverflowError();
                }))
        .isEqualTo(-5);
    assertThat(
            guard.run(
                FuseOp.FSYNC,
                "v",
                -1,
                -1,
                () -> {
                  throw new Exception("checked");
                }))
        .isEqualTo(-5);
  }

  @Test
  void aFailingListenerDoesNotChangeTheReply() {
    FuseOpListener broken =
        new FuseOpListener() {
          @Override
          public void completed(FuseOp op, String volume, long result, long nanos) {
            throw new IllegalStateException("metrics down");
          }

          @Override
          public void failed(FuseOp op, String volume, Errno errno, long nanos) {
            throw new IllegalStateException("metrics down");
          }
        };
    FuseGuard guard = new FuseGuard(broken);
    assertThat(guard.run(FuseOp.READ, "v", 0, 10, () -> 10)).isEqualTo(10);
    assertThat(
            guard.run(
                FuseOp.READ,
                "v",
                0,
                10,
                () -> {
                  throw new BackingStoreIoException("pread");
                }))
        .isEqualTo(-5);
  }

  @Test
  void everyFailureIsCountedEvenWhenItsWarningIsRateLimited() {
    Recorder r = new Recorder();
    FuseGuard guard = new FuseGuard(r);
    for (int i = 0; i < 100; i++) {
      assertThat(
              guard.run(
                  FuseOp.WRITE,
                  "v",
                  i * 4096L,
                  4096,
                  () -> {
                    throw new KeyLockerUnavailableException("soft-disabled");
                  }))
          .isEqualTo(-19);
    }
    assertThat(r.events).hasSize(100).containsOnly("fail write v ENODEV");
  }
}
