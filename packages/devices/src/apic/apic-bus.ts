import {
  DELIVERY_FIXED,
  DELIVERY_INIT,
  DELIVERY_LOWEST_PRIORITY,
  DELIVERY_STARTUP,
  type LocalApic,
} from './local-apic.ts';

/** ICR bits 19:18, destination shorthand (SDM 11.6.1). */
const SHORTHAND_NONE = 0;
const SHORTHAND_SELF = 1;
const SHORTHAND_ALL_INCLUDING_SELF = 2;

/**
 * The system bus between local APICs and the I/O APIC: it resolves physical and logical (flat
 * and cluster) destinations, the ICR shorthands and lowest-priority arbitration, and hands each
 * target its message. Wire each LocalApic's `ports.sendIpi` to {@link ApicBus.sendIpi} and the
 * I/O APIC's `deliver` to {@link ApicBus.deliver}.
 */
export class ApicBus {
  private readonly apics: LocalApic[] = [];

  /** Adds a local APIC to the bus. */
  attach(apic: LocalApic): void {
    if (!this.apics.includes(apic)) this.apics.push(apic);
  }

  /** The APICs a destination selects (SDM 10.6.2): physical ID (0xFF = all) or logical MDA. */
  targets(logical: boolean, destination: number): LocalApic[] {
    if (!logical) return this.apics.filter((a) => destination === 0xff || a.apicId === destination);
    return this.apics.filter((a) => {
      const ldr = a.logicalDestination >>> 24;
      if (destination === 0xff) return true;
      if (a.destinationFormat >>> 28 === 0xf) return (ldr & destination) !== 0; // flat model
      // Cluster model: bits 7:4 select the cluster, bits 3:0 the members.
      return ldr >> 4 === destination >> 4 && (ldr & destination & 0xf) !== 0;
    });
  }

  /** Delivers one interrupt message to the selected APICs. */
  deliver(
    logical: boolean,
    destination: number,
    deliveryMode: number,
    vector: number,
    levelTriggered: boolean,
    candidates?: LocalApic[],
  ): void {
    let targets = candidates ?? this.targets(logical, destination);
    if (deliveryMode === DELIVERY_LOWEST_PRIORITY && targets.length > 1) {
      // Lowest priority: the APIC with the lowest TPR takes it; ties go to the first attached.
      let best = targets[0]!;
      for (const t of targets) if ((t.taskPriority & 0xf0) < (best.taskPriority & 0xf0)) best = t;
      targets = [best];
    }
    for (const t of targets) {
      if (deliveryMode === DELIVERY_FIXED || deliveryMode === DELIVERY_LOWEST_PRIORITY) {
        t.acceptInterrupt(vector, levelTriggered);
      } else t.acceptSpecial(deliveryMode, vector);
    }
  }

  /** Routes an IPI a local APIC wrote to its ICR. */
  sendIpi(source: LocalApic, icrLo: number, icrHi: number): void {
    const mode = (icrLo >> 8) & 7;
    const vector = icrLo & 0xff;
    const logical = (icrLo & 0x800) !== 0;
    const level = (icrLo & 0x8000) !== 0;
    const shorthand = (icrLo >> 18) & 3;
    // INIT level de-assert (level=0, trigger=level) is only a synchronisation message.
    if (mode === DELIVERY_INIT && (icrLo & 0x4000) === 0 && level) return;
    let targets: LocalApic[];
    if (shorthand === SHORTHAND_NONE) targets = this.targets(logical, icrHi >>> 24);
    else if (shorthand === SHORTHAND_SELF) targets = [source];
    else if (shorthand === SHORTHAND_ALL_INCLUDING_SELF) targets = [...this.apics];
    else targets = this.apics.filter((a) => a !== source);
    if (mode === DELIVERY_STARTUP) {
      for (const t of targets) t.acceptSpecial(DELIVERY_STARTUP, vector);
      return;
    }
    this.deliver(logical, 0, mode, vector, level, targets);
  }
}
