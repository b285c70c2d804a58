package dev.klcrypt.daemon.volumes;

import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The volumes the daemon currently serves, by name. Thread-safe. */
public final class OpenVolumes {
  private static final Logger LOG = LoggerFactory.getLogger(OpenVolumes.class);

  /**
   * Names become file names under {@code volumes/}: like dm names, but no slashes and no dot-only
   * names.
   */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,63}");

  private final Map<String, OpenVolume> byName = new ConcurrentHashMap<>();
  private final List<VolumeEvents> listeners = new CopyOnWriteArrayList<>();
  private final Clock clock;
  private final IoGate gate = new IoGate(DEFAULT_GATE_TIMEOUT_MILLIS);

  /** How long a request waits while the platform is suspended, unless configured otherwise. */
  public static final long DEFAULT_GATE_TIMEOUT_MILLIS = 30_000;

  public OpenVolumes(Clock clock) {
    this.clock = clock;
  }

  /** The gate every data request on every volume passes (platform suspend quiesces here). */
  public IoGate gate() {
    return gate;
  }

  public Clock clock() {
    return clock;
  }

  public void addListener(VolumeEvents listener) {
    listeners.add(listener);
  }

  /** Checks a volume name before any expensive work (a KDF run) is done for it. */
  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new RequestRefusedException(
          Errno.EINVAL, "volume name must match " + NAME.pattern() + ", got " + quoted(name));
    }
  }

  /**
   * Refuses a name that is taken or an image that is already open (cryptsetup: device already in
   * use).
   */
  public synchronized void checkAvailable(String name, Path image) {
    checkName(name);
    if (byName.containsKey(name)) {
      throw new RequestRefusedException(
          Errno.EEXIST, "a volume named " + name + " is already open");
    }
    for (OpenVolume v : byName.values()) {
      if (v.image().equals(image)) {
        throw new RequestRefusedException(
            Errno.EBUSY, "image " + image + " is already open as volume " + v.name());
      }
    }
  }

  /**
   * Starts serving {@code volume} as {@code name}. On refusal the caller still owns {@code volume}
   * and must close it.
   */
  public OpenVolume add(String name, Path image, Volume volume) {
    OpenVolume added;
    synchronized (this) {
      checkAvailable(name, image);
      added = new OpenVolume(name, image, volume, clock.instant());
      byName.put(name, added);
    }
    LOG.info(
        "opened volume {} from {} ({} bytes, sector size {})",
        name,
        image,
        volume.size(),
        volume.sectorSize());
    listeners.forEach(l -> l.opened(added));
    return added;
  }

  public Optional<OpenVolume> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public OpenVolume get(String name) {
    OpenVolume v = byName.get(name);
    if (v == null) {
      throw new RequestRefusedException(Errno.ENOENT, "no open volume named " + quoted(name));
    }
    return v;
  }

  /** Open volumes sorted by name. */
  public List<OpenVolume> list() {
    List<OpenVolume> all = new ArrayList<>(byName.values());
    all.sort(Comparator.comparing(OpenVolume::name));
    return all;
  }

  /**
   * Flushes and closes a volume once no file handle is open on it.
   *
   * @param busyWaitMillis how long to wait for handles to be released before refusing with EBUSY
   */
  public void close(String name, long busyWaitMillis) throws InterruptedException {
    OpenVolume v = get(name);
    if (!v.retireWhenIdle(busyWaitMillis)) {
      throw new RequestRefusedException(
          Errno.EBUSY,
          "volume "
              + name
              + " is in use ("
              + v.openHandles()
              + " open file handles, e.g. a loop device)");
    }
    byName.remove(name, v);
    try {
      v.volume().flush();
    } finally {
      v.volume().close();
    }
    LOG.info("closed volume {}", name);
    listeners.forEach(l -> l.closed(v));
  }

  /**
   * Stops serving a volume now, even with file handles open (a platform reboot made its key handles
   * useless and nobody can reopen it unattended): requests on handles still open fail with ENODEV.
   * Writes the volume's pending data first when it can (a flush never needs the key).
   */
  public void drop(String name) {
    OpenVolume v = get(name);
    v.retire();
    byName.remove(name, v);
    try {
      v.volume().flush();
    } catch (RuntimeException e) {
      LOG.error("flushing volume {} failed: {}", name, e.toString());
    }
    try {
      v.volume().close();
    } catch (RuntimeException e) {
      LOG.error("closing volume {} failed: {}", name, e.toString());
    }
    LOG.info("dropped volume {} ({} open handles)", name, v.openHandles());
    listeners.forEach(l -> l.closed(v));
  }

  /** Shutdown: flushes and closes every volume, even busy ones; logs failures and carries on. */
  public void closeAll() {
    for (OpenVolume v : list()) {
      v.retire();
      byName.remove(v.name(), v);
      try {
        v.volume().flush();
      } catch (RuntimeException e) {
        LOG.error("flushing volume {} failed: {}", v.name(), e.toString());
      }
      try {
        v.volume().close();
      } catch (RuntimeException e) {
        LOG.error("closing volume {} failed: {}", v.name(), e.toString());
      }
      LOG.info("closed volume {} (shutdown, {} open handles)", v.name(), v.openHandles());
      listeners.forEach(l -> l.closed(v));
    }
  }

  /** Flushes every open volume (fsync of each backing file). */
  public void flushAll() {
    for (OpenVolume v : list()) {
      v.volume().flush();
    }
  }

  private static String quoted(String s) {
    return s == null ? "null" : "'" + s + "'";
  }
}
