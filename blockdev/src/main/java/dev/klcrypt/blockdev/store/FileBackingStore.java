package dev.klcrypt.blockdev.store;

import dev.klcrypt.blockdev.BackingStoreIoException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link BackingStore} over a regular file: positional {@link FileChannel} I/O, flush = fsync,
 * discard = {@code fallocate(PUNCH_HOLE | KEEP_SIZE)} on a second descriptor (FileChannel exposes
 * no hole punching).
 */
@SuppressWarnings(
    "restricted") // the one place in blockdev that binds libc (open, fallocate, close)
public final class FileBackingStore implements BackingStore {
  private static final int O_RDWR = 2;
  private static final int O_CLOEXEC = 0x80000;
  private static final int FALLOC_FL_KEEP_SIZE = 1;
  private static final int FALLOC_FL_PUNCH_HOLE = 2;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle OPEN =
      downcall(
          "open",
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  private static final MethodHandle CLOSE =
      downcall("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  private static final MethodHandle FALLOCATE =
      downcall(
          "fallocate",
          FunctionDescriptor.of(
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_LONG));

  private final Path path;
  private final FileChannel channel;
  private final boolean readOnly;
  private final int punchFd;

  private FileBackingStore(Path path, FileChannel channel, boolean readOnly, int punchFd) {
    this.path = path;
    this.channel = channel;
    this.readOnly = readOnly;
    this.punchFd = punchFd;
  }

  /** Opens an existing file; read-only opens refuse writes and discards. */
  public static FileBackingStore open(Path path, boolean readOnly) {
    FileChannel ch;
    try {
      ch =
          readOnly
              ? FileChannel.open(path, StandardOpenOption.READ)
              : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new BackingStoreIoException(
          "cannot open backing file " + path + ": " + e.getMessage(), e);
    }
    int fd = -1;
    if (!readOnly) {
      fd = openFd(path);
      if (fd < 0) {
        closeQuietly(ch);
        throw new BackingStoreIoException(
            "cannot open backing file " + path + " for hole punching: errno " + (-fd));
      }
    }
    return new FileBackingStore(path, ch, readOnly, fd);
  }

  @Override
  public long size() {
    try {
      return channel.size();
    } catch (IOException e) {
      throw io("size", 0, 0, e);
    }
  }

  @Override
  public boolean readOnly() {
    return readOnly;
  }

  @Override
  public void read(long offset, ByteBuffer dst) {
    long pos = offset;
    int want = dst.remaining();
    try {
      while (dst.hasRemaining()) {
        int n = channel.read(dst, pos);
        if (n < 0) {
          throw new BackingStoreIoException(
              "short read of "
                  + path
                  + " at offset "
                  + offset
                  + ": end of file after "
                  + (pos - offset)
                  + " of "
                  + want
                  + " bytes");
        }
        pos += n;
      }
    } catch (IOException e) {
      throw io("read", offset, want, e);
    }
  }

  @Override
  public void write(long offset, ByteBuffer src) {
    if (readOnly) {
      throw new BackingStoreIoException("write to read-only backing file " + path);
    }
    long pos = offset;
    int want = src.remaining();
    try {
      while (src.hasRemaining()) {
        pos += channel.write(src, pos);
      }
    } catch (IOException e) {
      throw io("write", offset, want, e);
    }
  }

  @Override
  public void flush() {
    try {
      channel.force(true);
    } catch (IOException e) {
      throw io("fsync", 0, 0, e);
    }
  }

  @Override
  public void discard(long offset, long length) {
    if (readOnly) {
      throw new BackingStoreIoException("discard on read-only backing file " + path);
    }
    if (length <= 0) {
      return;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc =
          (int)
              FALLOCATE.invokeExact(
                  state, punchFd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
      if (rc != 0) {
        int errno = (int) ERRNO.get(state, 0L);
        throw new BackingStoreIoException(
            "fallocate(PUNCH_HOLE) on "
                + path
                + " at offset "
                + offset
                + " length "
                + length
                + " failed: errno "
                + errno);
      }
    } catch (BackingStoreIoException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("fallocate downcall failed", t);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw io("close", 0, 0, e);
    } finally {
      if (punchFd >= 0) {
        try (Arena arena = Arena.ofConfined()) {
          int unused = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), punchFd);
          assert unused >= -1;
        } catch (Throwable t) {
          throw new IllegalStateException("close downcall failed", t);
        }
      }
    }
  }

  @Override
  public String toString() {
    return "FileBackingStore[" + path + (readOnly ? ", read-only]" : "]");
  }

  private BackingStoreIoException io(String op, long offset, long length, IOException e) {
    return new BackingStoreIoException(
        op
            + " of "
            + path
            + " at offset "
            + offset
            + " length "
            + length
            + " failed: "
            + e.getMessage(),
        e);
  }

  private static int openFd(Path path) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment cpath = arena.allocateFrom(path.toAbsolutePath().toString());
      int fd = (int) OPEN.invokeExact(state, cpath, O_RDWR | O_CLOEXEC);
      return fd >= 0 ? fd : -(int) ERRNO.get(state, 0L);
    } catch (Throwable t) {
      throw new IllegalStateException("open downcall failed", t);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // already failing with a better message
    }
  }

  private static MethodHandle downcall(String name, FunctionDescriptor fd) {
    MemorySegment fn =
        LINKER
            .defaultLookup()
            .find(name)
            .orElseThrow(() -> new IllegalStateException("libc lacks " + name));
    return LINKER.downcallHandle(fn, fd, Linker.Option.captureCallState("errno"));
  }
}
