package dev.klcrypt.daemon.control;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's listening Unix socket (Netty epoll). The socket file is mode 0600: it is
 * bound inside a private 0700 directory, chmod'ed, then renamed into place, so nobody can connect
 * to it before the mode is set.
 *
 * <p>Protocol: newline-delimited JSON, one request object per line (at most {@value
 * #MAX_REQUEST_BYTES} bytes), one reply object per line, in order. Replies carry {@code ok}, {@code
 * errno}, {@code error}, {@code warning} and op-specific fields. See docs/CLI.md.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

  /** Longest request line accepted; longer ones get an EMSGSIZE reply. */
  public static final int MAX_REQUEST_BYTES = 64 * 1024;

  private final Path socket;
  private final EventLoopGroup group;
  private final ExecutorService workers;
  private final Channel channel;

  private ControlServer(
      Path socket, EventLoopGroup group, ExecutorService workers, Channel channel) {
    this.socket = socket;
    this.group = group;
    this.workers = workers;
    this.channel = channel;
  }

  /** Binds {@code socket} (which must not exist) and starts serving {@code dispatcher}. */
  public static ControlServer bind(Path socket, ControlDispatcher dispatcher)
      throws IOException, InterruptedException {
    Path dir = socket.toAbsolutePath().getParent();
    Path privateDir =
        Files.createTempDirectory(
            dir,
            ".c",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path staging = privateDir.resolve("s");
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    try {
      Channel channel =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerDomainSocketChannel.class)
              .childHandler(new ControlChannelInitializer(dispatcher, workers))
              .bind(new DomainSocketAddress(staging.toFile()))
              .sync()
              .channel();
      Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rw-------"));
      Files.move(staging, socket, StandardCopyOption.ATOMIC_MOVE);
      Files.delete(privateDir);
      LOG.info("control plane listening on {}", socket);
      return new ControlServer(socket, group, workers, channel);
    } catch (IOException | InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownNow();
      Files.deleteIfExists(staging);
      Files.deleteIfExists(privateDir);
      throw e;
    }
  }

  public Path socket() {
    return socket;
  }

  /** Stops accepting, waits briefly for running requests, removes the socket file. */
  @Override
  public void close() {
    try {
      channel.close().syncUninterruptibly();
      workers.shutdown();
      if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("control requests still running after 10 s; stopping anyway");
        workers.shutdownNow();
      }
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.warn("removing {} failed: {}", socket, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("control plane stopped");
  }
}
