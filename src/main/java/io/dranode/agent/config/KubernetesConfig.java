package io.dranode.agent.config;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * The Kubernetes client, configured the standard fabric8 way: kubeconfig, the in-cluster service
 * account, or {@code KUBERNETES_MASTER} / {@code -Dkubernetes.master}. Its background work runs on
 * a context-owned executor; it is closed with the context. Failed requests are not retried inside
 * the client: callers retry on the scheduler.
 */
@Configuration(proxyBeanMethods = false)
public class KubernetesConfig {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  KubernetesClient kubernetesClient(
      @Qualifier("kubernetesExecutor") ThreadPoolTaskExecutor kubernetesExecutor) {
    // The client's own retries of 5xx/429/I-O failures would block a scheduler thread while it
    // waits; the agent retries on its scheduler instead, with the kubelet's backoff.
    Config config =
        new ConfigBuilder(Config.autoConfigure(null)).withRequestRetryBackoffLimit(0).build();
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withTaskExecutor(kubernetesExecutor)
        .build();
  }
}
