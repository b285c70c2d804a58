package dev.klcrypt.daemon.notify;

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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Plays systemd's side of the notify protocol for tests: a real epoll Unix datagram socket bound to
 * a path or an abstract name ({@code @name}) that queues every datagram it receives. Usable by any
 * daemon test: set {@code NOTIFY_SOCKET} to {@link #notifySocket()} for the process under test and
 * {@link #next(Duration)} the messages.
 */
public final class NotifySocketReceiver implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel channel;
  private final String notifySocket;
  private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();

  private NotifySocketReceiver(String notifySocket) throws InterruptedException {
    this.notifySocket = notifySocket;
    this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    DomainSocketAddress address =
        notifySocket.startsWith("@")
            ? new DomainSocketAddress("\0" + notifySocket.substring(1))
            : new DomainSocketAddress(notifySocket);
    this.channel =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                    messages.add(p.content().toString(StandardCharsets.UTF_8));
                  }
                })
            .bind(address)
            .sync()
            .channel();
  }

  /** Binds a receiver; {@code notifySocket} is an absolute path or {@code @abstract-name}. */
  public static NotifySocketReceiver bind(String notifySocket) throws InterruptedException {
    return new NotifySocketReceiver(notifySocket);
  }

  /** The value to put in {@code NOTIFY_SOCKET}. */
  public String notifySocket() {
    return notifySocket;
  }

  /** The next datagram's text, or null when none arrives within {@code timeout}. */
  public String next(Duration timeout) throws InterruptedException {
    return messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Waits for a datagram containing {@code line} as one of its lines; returns it, or null on
   * timeout.
   */
  public String awaitLine(String line, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      String message = messages.poll(left, TimeUnit.NANOSECONDS);
      if (message != null && message.lines().anyMatch(line::equals)) {
        return message;
      }
    }
    return null;
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
