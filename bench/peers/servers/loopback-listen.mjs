// Preloaded into supergateway (`node --import`): it has no host option and calls
// `app.listen(port)`, which binds every interface. This binds such a listen to 127.0.0.1 instead,
// so the whole benchmark stays on loopback. Only a listen given a bare port is changed.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && (args.length === 1 || typeof args[1] === "function")) {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
