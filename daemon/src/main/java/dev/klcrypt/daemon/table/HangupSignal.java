package dev.klcrypt.daemon.table;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Routes SIGHUP ({@code systemctl reload}) to a callback. Without a handler the JVM treats SIGHUP
 * as a request to exit. Uses {@code sun.misc.Signal} (module jdk.unsupported) reflectively, like
 * the daemon's termination handler: javac's proprietary-API warning cannot be suppressed and the
 * build runs with -Werror.
 */
final class HangupSignal {
  private HangupSignal() {}

  static void onHangup(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      InvocationHandler invocation =
          (Object proxy, Method method, Object[] args) ->
              switch (method.getName()) {
                case "handle" -> {
                  action.run();
                  yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "klcryptd reload (SIGHUP) handler";
                default -> null;
              };
      Object handler =
          Proxy.newProxyInstance(
              HangupSignal.class.getClassLoader(), new Class<?>[] {handlerType}, invocation);
      signal
          .getMethod("handle", signal, handlerType)
          .invoke(null, signal.getConstructor(String.class).newInstance("HUP"), handler);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot install the SIGHUP handler", e);
    }
  }
}
