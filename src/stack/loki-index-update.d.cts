/** Makes Loki keep a document's place in each binary index when an update leaves its value. */
export declare function keepIndexPlacesOnUpdate(Loki: unknown): void;
