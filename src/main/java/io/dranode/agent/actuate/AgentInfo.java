package io.dranode.agent.actuate;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentVersion;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

/** {@code /actuator/info}: version, node, mode and folders. */
@Component
class AgentInfo implements InfoContributor {

  private final AgentProperties properties;

  AgentInfo(AgentProperties properties) {
    this.properties = properties;
  }

  @Override
  public void contribute(Info.Builder builder) {
    Map<String, Object> agent = new LinkedHashMap<>();
    agent.put("version", AgentVersion.current());
    agent.put("node", properties.nodeName());
    agent.put("mode", properties.mode().name().toLowerCase(Locale.ROOT));
    agent.put("registryDir", properties.registryDir().toString());
    agent.put("pluginsDir", properties.pluginsDir().toString());
    agent.put("wipeDelay", properties.wipe().delay().toString());
    agent.put("wipeEnabled", properties.wipe().enabled());
    agent.put("wipeDryRun", properties.wipe().dryRun());
    builder.withDetail("agent", agent);
  }
}
