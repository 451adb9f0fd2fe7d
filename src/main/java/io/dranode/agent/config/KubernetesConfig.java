package io.dranode.agent.config;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.Interceptor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * The Kubernetes client, configured the standard fabric8 way: kubeconfig, the in-cluster service
 * account, or {@code KUBERNETES_MASTER} / {@code -Dkubernetes.master}. Its background work runs on
 * a context-owned executor; it is closed with the context, and closing it ends every exchange and
 * watch it has open and refuses new ones (see {@link ClosingJdkHttpClientFactory}). Failed requests
 * are not retried inside the client: callers retry on the scheduler. Every {@link Interceptor} bean
 * sees every request (tests use one to record what the agent sends, and when).
 */
@Configuration(proxyBeanMethods = false)
public class KubernetesConfig {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  KubernetesClient kubernetesClient(
      @Qualifier("kubernetesExecutor") ThreadPoolTaskExecutor kubernetesExecutor,
      ObjectProvider<Interceptor> interceptors) {
    // The client's own retries of 5xx/429/I-O failures would block a scheduler thread while it
    // waits; the agent retries on its scheduler instead, with the kubelet's backoff.
    Config config =
        new ConfigBuilder(Config.autoConfigure(null)).withRequestRetryBackoffLimit(0).build();
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new ClosingJdkHttpClientFactory())
        .withHttpClientBuilderConsumer(
            builder ->
                interceptors
                    .orderedStream()
                    .forEach(i -> builder.addOrReplaceInterceptor(i.getClass().getName(), i)))
        .withTaskExecutor(kubernetesExecutor)
        .build();
  }
}
