package dev.klcrypt.daemon.volumes;

import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;

/**
 * The one place every data request (read, write, fsync, fallocate) passes before it touches a
 * volume, so that a platform suspend can quiesce all volumes at once: while the platform is
 * suspended, new requests wait (at most the suspend timeout, then EIO); after a failed IWKey
 * restore, every waiting and every later request fails with ENODEV without reaching the volume.
 */
public final class IoGate {
  /** Where the gate stands. */
  public enum State {
    /** Requests pass. */
    OPEN,
    /** The platform is suspending or suspended: requests wait. */
    CLOSED,
    /** Key Locker is unavailable (failed restore): requests fail with ENODEV. */
    FAILED
  }

  private State state = State.OPEN;
  private String failure;
  private int inFlight;
  private long waiting;
  private long timeoutMillis;

  /**
   * @param timeoutMillis how long a request waits at a closed gate before it fails with EIO
   */
  public IoGate(long timeoutMillis) {
    timeout(timeoutMillis);
  }

  public synchronized void timeout(long millis) {
    if (millis < 1) {
      throw new IllegalArgumentException("gate timeout must be >= 1 ms, got " + millis);
    }
    this.timeoutMillis = millis;
  }

  public synchronized long timeoutMillis() {
    return timeoutMillis;
  }

  /**
   * Lets one request in, waiting while the gate is closed. Every successful call must be paired
   * with {@link #exit()}.
   *
   * @throws RequestRefusedException ENODEV when Key Locker is unavailable, EIO when the gate stayed
   *     closed for longer than the timeout
   */
  public synchronized void enter(String volume) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    waiting++;
    try {
      while (state == State.CLOSED) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new RequestRefusedException(
              Errno.EIO,
              "volume "
                  + volume
                  + ": the platform stayed suspended for more than "
                  + timeoutMillis
                  + " ms (suspendTimeoutMillis)");
        }
        wait(Math.max(1, left / 1_000_000L));
      }
    } finally {
      waiting--;
    }
    if (state == State.FAILED) {
      throw new RequestRefusedException(
          Errno.ENODEV, "volume " + volume + ": Key Locker unavailable: " + failure);
    }
    inFlight++;
  }

  /** A request that {@link #enter entered} is done. */
  public synchronized void exit() {
    inFlight--;
    notifyAll();
  }

  /** Closes the gate: later requests wait. */
  public synchronized void close() {
    if (state == State.OPEN) {
      state = State.CLOSED;
    }
  }

  /**
   * Waits until no request is between {@link #enter} and {@link #exit}.
   *
   * @return false if requests were still in flight after {@code millis}
   */
  public synchronized boolean awaitIdle(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    while (inFlight > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000L));
    }
    return true;
  }

  /** Opens the gate (resume succeeded, or a reboot cleared the failure); waiters proceed. */
  public synchronized void open() {
    state = State.OPEN;
    failure = null;
    notifyAll();
  }

  /** Key Locker is gone: every waiting and every later request fails with ENODEV. */
  public synchronized void fail(String reason) {
    state = State.FAILED;
    failure = reason;
    notifyAll();
  }

  public synchronized State state() {
    return state;
  }

  /** Why the gate failed, or null. */
  public synchronized String failure() {
    return failure;
  }

  /** Requests between enter and exit right now. */
  public synchronized int inFlight() {
    return inFlight;
  }

  /** Requests waiting at the closed gate right now. */
  public synchronized long waiting() {
    return waiting;
  }
}
