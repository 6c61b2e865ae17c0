import type { LeaseSimulation, NetworkSimulation, SyncClientApi } from "../../lib/client/types";

const OFF: LeaseSimulation = { sendAnyway: false, paused: false };

/**
 * Drives the real socket: offline, added latency, a lost ack, a killed connection; and this tab
 * as a lease holder or non-holder: "Pause holder" (no renewals, stale tokens kept: SPEC LOCK-3)
 * and "Send anyway" (save cards someone else locked: SPEC LOCK-4).
 */
export function NetworkSimulator({ client, network, leaseSim = OFF }: { client: SyncClientApi; network: NetworkSimulation; leaseSim?: LeaseSimulation }) {
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
      <div className="sim-row" role="group" aria-label="Leases">
        <button type="button" className={leaseSim.paused ? "btn btn-sm btn-primary" : "btn btn-sm"} data-testid="sim-pause-holder" aria-pressed={leaseSim.paused} onClick={() => client.setHolderPaused(!leaseSim.paused)}>
          {leaseSim.paused ? "Resume holder" : "Pause holder"}
        </button>
        <button type="button" className={leaseSim.sendAnyway ? "btn btn-sm btn-primary" : "btn btn-sm"} data-testid="sim-send-anyway" aria-pressed={leaseSim.sendAnyway} onClick={() => client.setSendAnyway(!leaseSim.sendAnyway)}>
          {leaseSim.sendAnyway ? "Sending to locked cards" : "Send anyway"}
        </button>
      </div>
      <p className="insp-note">
        Pause holder: this tab stops renewing its leases and keeps their tokens, as a stalled process would; once another tab holds a newer token, its saves answer
        STALE_LOCK. Send anyway: the editor saves cards someone else locked, so you see the server answer LOCKED.
      </p>
    </section>
  );
}
