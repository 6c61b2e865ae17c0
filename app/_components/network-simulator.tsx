import type { NetworkSimulation, SyncClientApi } from "../../lib/client/types";

/** Drives the real socket: offline, added latency, a lost ack, a killed connection. */
export function NetworkSimulator({ client, network }: { client: SyncClientApi; network: NetworkSimulation }) {
  return (
    <section className="insp-section" aria-labelledby="sim-title" data-testid="network-simulator">
      <h3 id="sim-title">Network simulator</h3>
      <div className="sim-row">
        <button type="button" className={network.offline ? "btn btn-sm btn-primary" : "btn btn-sm"} data-testid="net-offline" aria-pressed={network.offline} onClick={() => client.setOffline(!network.offline)}>
          {network.offline ? "Go online" : "Go offline"}
        </button>
        <button type="button" className="btn btn-sm" data-testid="net-drop-ack" aria-pressed={network.dropNextAck} onClick={() => client.dropNextAck()}>
          {network.dropNextAck ? "Next ack will drop" : "Drop next ack"}
        </button>
        <button type="button" className="btn btn-sm btn-danger" data-testid="net-kill" onClick={() => client.killSocket()}>
          Kill socket
        </button>
      </div>
      <div className="range-row">
        <label htmlFor="net-latency" className="small muted">
          Latency
        </label>
        <input id="net-latency" type="range" min={0} max={2000} step={50} value={network.latencyMs} data-testid="net-latency" onChange={(e) => client.setLatency(Number(e.target.value))} aria-valuetext={`${network.latencyMs} milliseconds`} />
        <output htmlFor="net-latency">{network.latencyMs} ms</output>
      </div>
    </section>
  );
}
