package dev.klcrypt.it.service;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * systemd's end of {@code $NOTIFY_SOCKET} for a daemon process: a real epoll Unix datagram socket
 * bound to a path. Every datagram is queued together with whether {@code watched} (a volume file)
 * existed at the moment it arrived, so a test can tell that READY=1 came only after the volume was
 * served.
 */
final class NotifyListener implements AutoCloseable {
  /** One datagram and what the file system looked like when it arrived. */
  record Message(String text, boolean watchedExisted, long nanoTime) {}

  private final EventLoopGroup group;
  private final Channel channel;
  private final Path socket;
  private final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();

  NotifyListener(Path socket, Path watched) throws InterruptedException {
    this.socket = socket;
    this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    this.channel =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                    String text = p.content().toString(StandardCharsets.UTF_8);
                    messages.add(new Message(text, Files.exists(watched), System.nanoTime()));
                  }
                })
            .bind(new DomainSocketAddress(socket.toFile()))
            .sync()
            .channel();
  }

  /** The value for {@code NOTIFY_SOCKET}. */
  String notifySocket() {
    return socket.toString();
  }

  /** The next datagram, or null after {@code timeout}. */
  Message next(Duration timeout) throws InterruptedException {
    return messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** The next datagram whose text starts with {@code prefix}; earlier ones are dropped. */
  Message nextStartingWith(String prefix, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      Message m = messages.poll(left, TimeUnit.NANOSECONDS);
      if (m == null) {
        return null;
      }
      if (m.text().startsWith(prefix)) {
        return m;
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    Files.deleteIfExists(socket);
  }
}
