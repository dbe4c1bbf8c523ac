export { FaultProxy, type ProxyAddress } from "./proxy.js";
