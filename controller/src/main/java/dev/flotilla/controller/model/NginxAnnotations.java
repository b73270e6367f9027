package dev.flotilla.controller.model;

/**
 * The ingress-nginx annotations Flotilla writes (the controller's {@link IngressModel}) and reads (the
 * demo's nginx renderer, the tests): named once here so a writer and a reader cannot spell one differently.
 */
public final class NginxAnnotations {

  public static final String PREFIX = "nginx.ingress.kubernetes.io/";
  public static final String SSL_PASSTHROUGH = PREFIX + "ssl-passthrough";
  public static final String BACKEND_PROTOCOL = PREFIX + "backend-protocol";
  public static final String SSL_REDIRECT = PREFIX + "ssl-redirect";
  public static final String PROXY_BODY_SIZE = PREFIX + "proxy-body-size";
  public static final String PROXY_READ_TIMEOUT = PREFIX + "proxy-read-timeout";
  public static final String PROXY_SEND_TIMEOUT = PREFIX + "proxy-send-timeout";
  public static final String PROXY_CONNECT_TIMEOUT = PREFIX + "proxy-connect-timeout";
  public static final String AUTH_TLS_SECRET = PREFIX + "auth-tls-secret";
  public static final String AUTH_TLS_VERIFY_CLIENT = PREFIX + "auth-tls-verify-client";
  public static final String AUTH_TLS_VERIFY_DEPTH = PREFIX + "auth-tls-verify-depth";
  public static final String AUTH_TLS_PASS_CERTIFICATE = PREFIX + "auth-tls-pass-certificate-to-upstream";
  public static final String PROXY_SSL_SECRET = PREFIX + "proxy-ssl-secret";
  public static final String PROXY_SSL_VERIFY = PREFIX + "proxy-ssl-verify";
  public static final String PROXY_SSL_NAME = PREFIX + "proxy-ssl-name";
  public static final String PROXY_SSL_SERVER_NAME = PREFIX + "proxy-ssl-server-name";

  private NginxAnnotations() {}
}
