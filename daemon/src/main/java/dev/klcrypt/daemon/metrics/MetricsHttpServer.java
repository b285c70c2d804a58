package dev.klcrypt.daemon.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The optional metrics listener on TCP ({@code metrics.tcpPort}): bound to 127.0.0.1 only, so
 * metrics never leave the host unless an operator puts a proxy in front. Serves the same {@code GET
 * /metrics} as the control socket.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private final Channel channel;

  private MetricsHttpServer(Channel channel) {
    this.channel = channel;
  }

  /**
   * Binds 127.0.0.1:{@code port} ({@code 0} picks a free port, for tests) on an epoll event loop
   * group.
   *
   * @throws InterruptedException if interrupted while binding
   * @throws io.netty.channel.ChannelException (or another unchecked Netty exception) when the port
   *     is taken
   */
  public static MetricsHttpServer start(
      EventLoopGroup group,
      int port,
      KlcryptMetrics metrics,
      int maxRequestBytes,
      Duration requestTimeout)
      throws InterruptedException {
    MetricsHttpResponder responder = new MetricsHttpResponder(metrics);
    Channel channel =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    MetricsHttpHandler.install(
                        ch.pipeline(), responder, maxRequestBytes, requestTimeout);
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", port))
            .sync()
            .channel();
    return new MetricsHttpServer(channel);
  }

  /** The address actually bound (the port is the real one when 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
