package dev.klcrypt.daemon.control;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.util.concurrent.Executor;

/** Sets up a new control connection: protocol sniffer first, it installs the rest. */
public final class ControlChannelInitializer extends ChannelInitializer<Channel> {
  private final ControlDispatcher dispatcher;
  private final Executor workers;

  /**
   * @param workers runs requests off the event loop (a KDF run takes seconds)
   */
  public ControlChannelInitializer(ControlDispatcher dispatcher, Executor workers) {
    this.dispatcher = dispatcher;
    this.workers = workers;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline().addLast("sniffer", new ProtocolSniffer(dispatcher, workers));
  }
}
