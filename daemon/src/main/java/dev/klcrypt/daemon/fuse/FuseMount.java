package dev.klcrypt.daemon.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code volumes/} FUSE mount: mounting with the measured options, waiting for the kernel to
 * show it, unmounting, and cleaning up a mount left behind by a daemon that was killed.
 */
public final class FuseMount implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);

  /**
   * libfuse 2 options, chosen by measurement (docs/FUSE.md): {@code -s} because jnr-fuse's
   * multithreaded loop attaches the JVM per libfuse worker and is 5-10x slower; {@code big_writes}
   * for 128 KiB page-cache writes; {@code direct_io} so decrypted data is not cached a second time
   * in the FUSE page cache; zero entry and attribute timeouts so a volume file appears and
   * disappears the moment it is opened or closed (no stale size after a reopen).
   */
  public static final List<String> DEFAULT_OPTIONS =
      List.of(
          "-s",
          "-o",
          "big_writes,direct_io,entry_timeout=0,attr_timeout=0,negative_timeout=0,"
              + "fsname=klcrypt,subtype=klcrypt");

  private static final long MOUNT_TIMEOUT_MILLIS = 10_000;

  private final VolumeFileSystem fs;
  private final Path mountPoint;
  private final MountTable mountTable;
  private boolean mounted;

  private FuseMount(VolumeFileSystem fs, Path mountPoint, MountTable mountTable) {
    this.fs = fs;
    this.mountPoint = mountPoint;
    this.mountTable = mountTable;
  }

  /**
   * Mounts {@code fs} on {@code mountPoint} (created if missing) and returns once the kernel lists
   * the mount.
   */
  public static FuseMount mount(VolumeFileSystem fs, Path mountPoint, List<String> options)
      throws IOException, InterruptedException {
    Path mp = mountPoint.toAbsolutePath().normalize();
    Files.createDirectories(mp);
    MountTable table = MountTable.ofThisProcess();
    FuseMount mount = new FuseMount(fs, mp, table);
    fs.mount(mp, false, false, options.toArray(String[]::new));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MOUNT_TIMEOUT_MILLIS);
    while (!table.isFuseMount(mp)) {
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "FUSE mount on " + mp + " did not appear within " + MOUNT_TIMEOUT_MILLIS + " ms");
      }
      Thread.sleep(20);
    }
    mount.mounted = true;
    LOG.info("mounted volumes filesystem on {} with options {}", mp, String.join(" ", options));
    return mount;
  }

  public Path mountPoint() {
    return mountPoint;
  }

  /**
   * Unmounts: a normal unmount first; if something still holds a volume file (a loop device
   * somebody else attached), a lazy one so the daemon can still exit.
   */
  @Override
  public synchronized void close() {
    if (!mounted) {
      return;
    }
    mounted = false;
    try {
      String mp = mountPoint.toString();
      if (firstSucceeds(List.of(List.of("fusermount", "-u", mp), List.of("umount", mp)))) {
        LOG.debug("unmounted {} cleanly", mp);
      } else {
        LOG.warn("{} is busy; detaching it lazily", mp);
        if (!firstSucceeds(
            List.of(List.of("fusermount", "-u", "-z", mp), List.of("umount", "-l", mp)))) {
          LOG.error("could not unmount {}", mp);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      fs.umount(); // lets jnr-fuse drop its own shutdown-hook state; the mount is already gone
    } catch (RuntimeException e) {
      LOG.debug("jnr-fuse umount after fusermount: {}", e.toString());
    }
    LOG.info("unmounted {}", mountPoint);
  }

  /**
   * Removes a FUSE mount left on {@code mountPoint} by a daemon that died (its connection is gone:
   * ENOTCONN). The caller has made sure no live daemon serves it.
   *
   * @return true if a stale mount was found and detached
   */
  public static boolean cleanStale(Path mountPoint) throws IOException, InterruptedException {
    Path mp = mountPoint.toAbsolutePath().normalize();
    MountTable table = MountTable.ofThisProcess();
    if (!table.isMountPoint(mp)) {
      return false;
    }
    LOG.warn("found a stale mount on {} (daemon killed?); detaching it lazily", mp);
    if (!firstSucceeds(
        List.of(
            List.of("fusermount", "-u", "-z", mp.toString()),
            List.of("umount", "-l", mp.toString())))) {
      throw new IOException("could not detach the stale mount on " + mp);
    }
    return true;
  }

  /**
   * Runs the commands in turn until one exits 0 ({@code fusermount} may be missing where only
   * {@code fusermount3} is installed; as root, {@code umount} does the same job).
   */
  private static boolean firstSucceeds(List<List<String>> commands) throws InterruptedException {
    for (List<String> command : commands) {
      try {
        if (run(command) == 0) {
          return true;
        }
      } catch (IOException e) {
        LOG.debug("{}: {}", String.join(" ", command), e.toString());
      }
    }
    return false;
  }

  private static int run(List<String> command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(command);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " did not finish in 30 s");
    }
    if (p.exitValue() != 0) {
      LOG.debug("{} exited {}: {}", String.join(" ", cmd), p.exitValue(), out.strip());
    }
    return p.exitValue();
  }
}
