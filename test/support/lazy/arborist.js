module.exports = require("./lazyModule")("@npmcli/arborist");
