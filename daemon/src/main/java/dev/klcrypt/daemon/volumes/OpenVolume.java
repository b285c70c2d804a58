package dev.klcrypt.daemon.volumes;

import dev.klcrypt.blockdev.fault.FaultyBackingStore;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.blockdev.volume.VolumeInfo;
import java.nio.file.Path;
import java.time.Instant;

/**
 * One volume the daemon serves as {@code volumes/<name>}: the unlocked {@link Volume} plus what the
 * daemon tracks about it (image path, open time, how many FUSE file handles are open on it).
 */
public final class OpenVolume {
  private final String name;
  private final Path image;
  private volatile Volume volume;
  private volatile Instant openedAt;
  private volatile FaultyBackingStore faults;
  private volatile Path keyFile;
  private volatile String loopDevice;
  private int openHandles;
  private boolean retired;

  OpenVolume(String name, Path image, Volume volume, Instant openedAt) {
    this.name = name;
    this.image = image;
    this.volume = volume;
    this.openedAt = openedAt;
  }

  public String name() {
    return name;
  }

  /** The image file, as a real path. */
  public Path image() {
    return image;
  }

  public Volume volume() {
    return volume;
  }

  /**
   * Serves {@code reopened} (the same image unlocked again, e.g. with new key handles after a
   * platform reboot) under this name from now on; open file handles and loop devices keep working.
   *
   * @return the volume served before, which the caller closes
   */
  public Volume replaceVolume(Volume reopened, FaultyBackingStore reopenedFaults, Instant now) {
    Volume old = volume;
    volume = reopened;
    faults = reopenedFaults;
    openedAt = now;
    return old;
  }

  /** The fault-injecting store under the volume, or null when it was opened without one. */
  public FaultyBackingStore faults() {
    return faults;
  }

  public void faults(FaultyBackingStore store) {
    this.faults = store;
  }

  /**
   * The key file the volume was opened with, remembered so that it can be reopened unattended (a
   * platform reboot invalidates its key handles); null when it was opened with a typed passphrase.
   * Only the path is kept, never the passphrase.
   */
  public Path keyFile() {
    return keyFile;
  }

  public void keyFile(Path file) {
    this.keyFile = file;
  }

  public VolumeInfo info() {
    return volume.info();
  }

  public Instant openedAt() {
    return openedAt;
  }

  /** The loop device the daemon attached for this volume ({@code open --loop}), or null. */
  public String loopDevice() {
    return loopDevice;
  }

  public void loopDevice(String device) {
    this.loopDevice = device;
  }

  /** FUSE file handles currently open on the volume file (a loop device holds one). */
  public synchronized int openHandles() {
    return openHandles;
  }

  /** Counts a new FUSE file handle; false once the volume is being closed. */
  public synchronized boolean acquireHandle() {
    if (retired) {
      return false;
    }
    openHandles++;
    return true;
  }

  public synchronized void releaseHandle() {
    if (openHandles > 0) {
      openHandles--;
    }
    notifyAll();
  }

  /**
   * Marks the volume as closing if no handle is open, waiting up to {@code waitMillis} for the last
   * one to go (FUSE sends RELEASE asynchronously after {@code losetup -d}).
   *
   * @return false if handles are still open after the wait
   */
  synchronized boolean retireWhenIdle(long waitMillis) throws InterruptedException {
    long deadline = System.nanoTime() + waitMillis * 1_000_000L;
    while (openHandles > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000L));
    }
    retired = true;
    return true;
  }

  /** Marks the volume as closing regardless of open handles (daemon shutdown). */
  synchronized void retire() {
    retired = true;
  }

  @Override
  public String toString() {
    return "OpenVolume[" + name + " <- " + image + "]";
  }
}
