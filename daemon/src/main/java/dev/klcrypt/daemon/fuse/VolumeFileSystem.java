package dev.klcrypt.daemon.fuse;

import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import dev.klcrypt.daemon.volumes.IoGate;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * The {@code volumes/} filesystem: a root directory with one regular file per open volume, whose
 * bytes are the volume's decrypted data area. Every callback runs through {@link FuseGuard}. FUSE
 * buffers are handed to {@link Volume#read}/{@link Volume#write} as memory segments over the native
 * address (no copy; never {@code Pointer.wrap(ByteBuffer)}, which corrupts data, see
 * spike-results.md).
 */
public final class VolumeFileSystem extends FuseStubFS {
  private static final int O_ACCMODE = 3;
  private static final int O_RDONLY = 0;
  private static final int FALLOC_FL_KEEP_SIZE = 0x01;
  private static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  private static final int STATFS_BLOCK = 4096;
  private static final int NAME_MAX = 255;

  private final OpenVolumes volumes;
  private final FuseGuard guard;
  private final long ownerUid;
  private final long ownerGid;
  private final long mountedAtSeconds;
  private final Map<Long, OpenVolume> handles = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  public VolumeFileSystem(OpenVolumes volumes, FuseGuard guard, long ownerUid, long ownerGid) {
    this.volumes = volumes;
    this.guard = guard;
    this.ownerUid = ownerUid;
    this.ownerGid = ownerGid;
    this.mountedAtSeconds = System.currentTimeMillis() / 1000;
  }

  /** The guard every callback goes through (to attach a metrics listener). */
  public FuseGuard guard() {
    return guard;
  }

  /** File handles open right now, over all volumes. */
  public int openHandles() {
    return handles.size();
  }

  @Override
  public int getattr(String path, FileStat stat) {
    String name = volumeName(path);
    return guard.run(
        FuseOp.GETATTR,
        name,
        -1,
        -1,
        () -> {
          stat.st_uid.set(ownerUid);
          stat.st_gid.set(ownerGid);
          if (name.isEmpty()) {
            stat.st_mode.set(FileStat.S_IFDIR | 0755);
            stat.st_nlink.set(2);
            stat.st_mtim.tv_sec.set(mountedAtSeconds);
            stat.st_ctim.tv_sec.set(mountedAtSeconds);
            stat.st_atim.tv_sec.set(mountedAtSeconds);
            return 0;
          }
          OpenVolume v = volumes.get(name);
          long size = v.volume().size();
          boolean readOnly = v.info().readOnly();
          stat.st_mode.set(FileStat.S_IFREG | (readOnly ? 0400 : 0600));
          stat.st_nlink.set(1);
          stat.st_size.set(size);
          stat.st_blksize.set(v.volume().sectorSize());
          stat.st_blocks.set((size + 511) / 512);
          long opened = v.openedAt().getEpochSecond();
          stat.st_mtim.tv_sec.set(opened);
          stat.st_ctim.tv_sec.set(opened);
          stat.st_atim.tv_sec.set(opened);
          return 0;
        });
  }

  @Override
  public int readdir(
      String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
    String name = volumeName(path);
    return guard.run(
        FuseOp.READDIR,
        name,
        -1,
        -1,
        () -> {
          if (!name.isEmpty()) {
            throw new RequestRefusedException(Errno.ENOTDIR, path + " is not a directory");
          }
          filter.apply(buf, ".", null, 0);
          filter.apply(buf, "..", null, 0);
          for (OpenVolume v : volumes.list()) {
            filter.apply(buf, v.name(), null, 0);
          }
          return 0;
        });
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    String name = volumeName(path);
    return guard.run(
        FuseOp.OPEN,
        name,
        -1,
        -1,
        () -> {
          if (name.isEmpty()) {
            throw new RequestRefusedException(
                Errno.EISDIR, "the volumes directory cannot be opened as a file");
          }
          OpenVolume v = volumes.get(name);
          boolean wantsWrite = (fi.flags.get() & O_ACCMODE) != O_RDONLY;
          if (wantsWrite && v.info().readOnly()) {
            throw new RequestRefusedException(Errno.EROFS, "volume " + name + " is open read-only");
          }
          if (!v.acquireHandle()) {
            throw new RequestRefusedException(Errno.ENOENT, "volume " + name + " is closing");
          }
          long fh = nextHandle.getAndIncrement();
          handles.put(fh, v);
          fi.fh.set(fh);
          return 0;
        });
  }

  @Override
  @SuppressWarnings(
      "restricted") // the FUSE buffer is valid for exactly n bytes during this callback
  public int read(
      String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    OpenVolume v = byFileHandle(fi);
    String name = v != null ? v.name() : volumeName(path);
    return guard.run(
        FuseOp.READ,
        name,
        offset,
        size,
        () ->
            gated(
                name,
                () -> {
                  Volume volume = byHandle(v, path).volume();
                  long volumeSize = volume.size();
                  if (offset < 0) {
                    throw new RequestRefusedException(Errno.EINVAL, "negative offset " + offset);
                  }
                  if (offset >= volumeSize || size == 0) {
                    return 0; // end of file, like a block device read past the end
                  }
                  long n = Math.min(size, volumeSize - offset);
                  volume.read(offset, MemorySegment.ofAddress(buf.address()).reinterpret(n));
                  return n;
                }));
  }

  @Override
  @SuppressWarnings(
      "restricted") // the FUSE buffer is valid for exactly size bytes during this callback
  public int write(
      String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    OpenVolume v = byFileHandle(fi);
    String name = v != null ? v.name() : volumeName(path);
    return guard.run(
        FuseOp.WRITE,
        name,
        offset,
        size,
        () ->
            gated(
                name,
                () -> {
                  Volume volume = byHandle(v, path).volume();
                  if (offset < 0 || offset > volume.size() - size) {
                    throw new RequestRefusedException(
                        Errno.EINVAL,
                        "write of "
                            + size
                            + " bytes at offset "
                            + offset
                            + " goes beyond the end of volume "
                            + name
                            + " ("
                            + volume.size()
                            + " bytes)");
                  }
                  if (size == 0) {
                    return 0;
                  }
                  volume.write(offset, MemorySegment.ofAddress(buf.address()).reinterpret(size));
                  return size;
                }));
  }

  @Override
  public int flush(String path, FuseFileInfo fi) {
    // close(2) of one descriptor: nothing to do, durability is fsync's job (as for a block device)
    return guard.run(FuseOp.FLUSH, volumeName(path), -1, -1, () -> 0);
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    OpenVolume v = byFileHandle(fi);
    String name = v != null ? v.name() : volumeName(path);
    return guard.run(
        FuseOp.FSYNC,
        name,
        -1,
        -1,
        () ->
            gated(
                name,
                () -> {
                  byHandle(v, path).volume().flush();
                  return 0;
                }));
  }

  @Override
  public int fallocate(
      String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
    OpenVolume v = byFileHandle(fi);
    String name = v != null ? v.name() : volumeName(path);
    return guard.run(
        FuseOp.FALLOCATE,
        name,
        off,
        length,
        () ->
            gated(
                name,
                () -> {
                  OpenVolume target = byHandle(v, path);
                  Volume volume = target.volume();
                  if (off < 0 || length <= 0 || off > volume.size() - length) {
                    throw new RequestRefusedException(
                        Errno.EINVAL,
                        "fallocate of "
                            + length
                            + " bytes at offset "
                            + off
                            + " is outside volume "
                            + name
                            + " ("
                            + volume.size()
                            + " bytes)");
                  }
                  if (mode == 0 || mode == FALLOC_FL_KEEP_SIZE) {
                    return 0; // the whole volume is allocated already
                  }
                  if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) {
                    if (!target.info().allowDiscards()) {
                      throw new RequestRefusedException(
                          Errno.EOPNOTSUPP,
                          "volume " + name + " was opened without --allow-discards");
                    }
                    volume.discard(off, length);
                    return 0;
                  }
                  throw new RequestRefusedException(
                      Errno.EOPNOTSUPP,
                      "fallocate mode 0x" + Integer.toHexString(mode) + " is not supported");
                }));
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    return guard.run(
        FuseOp.STATFS,
        volumeName(path),
        -1,
        -1,
        () -> {
          long bytes = 0;
          for (OpenVolume v : volumes.list()) {
            bytes += v.volume().size();
          }
          stbuf.f_bsize.set(STATFS_BLOCK);
          stbuf.f_frsize.set(STATFS_BLOCK);
          stbuf.f_blocks.set((bytes + STATFS_BLOCK - 1) / STATFS_BLOCK);
          stbuf.f_bfree.set(0);
          stbuf.f_bavail.set(0);
          stbuf.f_files.set(volumes.list().size() + 1L);
          stbuf.f_ffree.set(0);
          stbuf.f_namemax.set(NAME_MAX);
          return 0;
        });
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    return guard.run(
        FuseOp.RELEASE,
        volumeName(path),
        -1,
        -1,
        () -> {
          OpenVolume v = handles.remove(fi.fh.get());
          if (v != null) {
            v.releaseHandle();
          }
          return 0;
        });
  }

  @Override
  public int truncate(String path, @off_t long size) {
    String name = volumeName(path);
    return guard.run(
        FuseOp.TRUNCATE,
        name,
        size,
        -1,
        () -> {
          OpenVolume v = volumes.get(name);
          if (size != v.volume().size()) {
            throw new RequestRefusedException(
                Errno.EINVAL,
                "volume " + name + " has a fixed size of " + v.volume().size() + " bytes");
          }
          return 0; // open(O_TRUNC) on a volume file of the same size
        });
  }

  /**
   * Runs a data request through the volumes' {@link dev.klcrypt.daemon.volumes.IoGate}: it waits
   * while the platform is suspended and fails with ENODEV once Key Locker is unavailable.
   */
  private long gated(String name, FuseGuard.Body body) throws Exception {
    IoGate gate = volumes.gate();
    gate.enter(name);
    try {
      return body.run();
    } finally {
      gate.exit();
    }
  }

  /** The volume behind a file handle, or null (never throws: it runs before the guard). */
  private OpenVolume byFileHandle(FuseFileInfo fi) {
    return fi == null ? null : handles.get(fi.fh.get());
  }

  private OpenVolume byHandle(OpenVolume fromHandle, String path) {
    return fromHandle != null ? fromHandle : volumes.get(volumeName(path));
  }

  /** "/" -> "" (the root), "/name" -> "name"; anything deeper names nothing. */
  static String volumeName(String path) {
    if (path == null || path.equals("/")) {
      return "";
    }
    String name = path.startsWith("/") ? path.substring(1) : path;
    return name.indexOf('/') >= 0 ? "\0" + name : name;
  }
}
