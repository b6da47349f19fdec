package org.stowage.s3;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * The main class of the forked S3Mock JVM ({@link S3MockServer} starts it): runs S3Mock's Spring
 * Boot application with every Tomcat connector bound to 127.0.0.1, then prints {@value #READY}
 * and the port on standard output.
 *
 * <p>It also exits when its standard input ends, that is when the test JVM that started it is gone,
 * however it ended: no server outlives the build.
 *
 * <p>S3Mock 5.2.0 adds a second, plain-HTTP Tomcat connector of its own ({@code http.port}) without
 * an address, which Tomcat binds to every interface, and no property reaches it. This class
 * registers a bean post-processor that sets {@code address=127.0.0.1} on every {@code Connector}
 * bean before Tomcat starts it. It runs inside S3Mock's own class loader (Spring Boot's {@code
 * PropertiesLauncher} with {@code loader.path}), and it is compiled without Spring on the class
 * path, so it speaks to Spring through reflection and {@link Proxy}: the test JVM keeps
 * s3proxy's dependencies and never sees S3Mock's.
 */
public final class S3MockLauncher {
  static final String READY = "S3MOCK-READY port=";
  static final String LOOPBACK = "127.0.0.1";

  private S3MockLauncher() {}

  public static void main(String[] args) throws Exception {
    Thread watchdog = new Thread(S3MockLauncher::exitWhenParentIsGone, "s3mock-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    Class<?> application = type(loader, "com.adobe.testing.s3mock.S3MockApplication");
    Class<?> builderType = type(loader, "org.springframework.boot.builder.SpringApplicationBuilder");
    Class<?> initializerType = type(loader, "org.springframework.context.ApplicationContextInitializer");
    Class<?> postProcessorType =
        type(loader, "org.springframework.beans.factory.config.BeanPostProcessor");
    Class<?> contextType =
        type(loader, "org.springframework.context.ConfigurableApplicationContext");
    Class<?> beanFactoryType =
        type(loader, "org.springframework.beans.factory.config.ConfigurableBeanFactory");
    Class<?> connectorType = type(loader, "org.apache.catalina.connector.Connector");
    Method setProperty = connectorType.getMethod("setProperty", String.class, String.class);

    Object loopbackConnectors =
        proxy(loader, postProcessorType, "loopback-only Tomcat connectors", (name, a) -> {
          if (name.startsWith("postProcess")) {
            if (connectorType.isInstance(a[0])) {
              setProperty.invoke(a[0], "address", LOOPBACK);
            }
            return a[0];
          }
          throw new UnsupportedOperationException(name);
        });
    Method getBeanFactory = contextType.getMethod("getBeanFactory");
    Method addBeanPostProcessor = beanFactoryType.getMethod("addBeanPostProcessor", postProcessorType);
    Object initializer =
        proxy(loader, initializerType, "adds the loopback post-processor", (name, a) -> {
          if (name.equals("initialize")) {
            addBeanPostProcessor.invoke(getBeanFactory.invoke(a[0]), loopbackConnectors);
            return null;
          }
          throw new UnsupportedOperationException(name);
        });

    Object initializers = Array.newInstance(initializerType, 1);
    Array.set(initializers, 0, initializer);
    Object builder =
        builderType.getConstructor(Class[].class).newInstance((Object) new Class<?>[] {application});
    builderType.getMethod("initializers", initializers.getClass()).invoke(builder, initializers);
    Object context = builderType.getMethod("run", String[].class).invoke(builder, (Object) args);
    Object environment = contextType.getMethod("getEnvironment").invoke(context);
    Object port =
        type(loader, "org.springframework.core.env.PropertyResolver")
            .getMethod("getRequiredProperty", String.class)
            .invoke(environment, "local.server.port");
    System.out.println(READY + port);
    System.out.flush();
  }

  private static void exitWhenParentIsGone() {
    try {
      while (System.in.read() >= 0) {
        // nothing is ever sent; only the end matters
      }
    } catch (java.io.IOException e) {
      // the pipe broke: the parent is gone too
    }
    Runtime.getRuntime().halt(0);
  }

  private interface Call {
    Object apply(String method, Object[] args) throws Exception;
  }

  private static Object proxy(ClassLoader loader, Class<?> type, String label, Call call) {
    InvocationHandler handler =
        (self, method, args) ->
            switch (method.getName()) {
              case "hashCode" -> System.identityHashCode(self);
              case "equals" -> self == args[0];
              case "toString" -> label;
              default -> call.apply(method.getName(), args);
            };
    return Proxy.newProxyInstance(loader, new Class<?>[] {type}, handler);
  }

  private static Class<?> type(ClassLoader loader, String name) throws ClassNotFoundException {
    return Class.forName(name, false, loader);
  }
}
