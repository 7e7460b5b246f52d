// The embedded MQTT broker of `make run` (aedes from npm, MQTT 3.1.1): started by
// `python -m models.mqtt.embedded`, which documents it; node models/mqtt/broker.mjs --port 1884.
//
// QoS 0/1/2, persistent sessions (clean session false: subscriptions and queued QoS 1 messages
// kept while the client is away, unacknowledged ones sent again when it is back) and retained
// messages, all in memory (a restart forgets them). Any user name and no password check
// (development only); a client whose user name is a UUID is a meter (its prosumer id) and is
// confined as the README's Mosquitto ACL confines it: it may publish only its own readings and
// receives only its own errors and device commands.
import net from 'node:net'
import { Aedes } from 'aedes'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function option (name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback
}

function meterOf (client) {
  const user = client && client._minigridUser
  return user && UUID.test(user) ? user : null
}

function levels (topic) {
  return topic.split('/')
}

// minigrid/{grid}/meters/{meter}/readings: the one topic a meter may publish on
function mayPublish (meter, topic) {
  const t = levels(topic)
  return t.length === 5 && t[0] === 'minigrid' && t[2] === 'meters' && t[3] === meter &&
    t[4] === 'readings'
}

// minigrid/{grid}/meters/{meter}/errors and minigrid/{grid}/devices/{meter}/commands
function mayRead (meter, topic) {
  const t = levels(topic)
  return t.length === 5 && t[0] === 'minigrid' && t[3] === meter &&
    ((t[2] === 'meters' && t[4] === 'errors') || (t[2] === 'devices' && t[4] === 'commands'))
}

async function main () {
  const host = option('host', '127.0.0.1')
  const port = Number(option('port', '1884'))
  const broker = await Aedes.createBroker({ concurrency: 1000, heartbeatInterval: 3600000 })
  broker.authenticate = (client, username, password, done) => {
    client._minigridUser = username || null
    done(null, true)
  }
  broker.authorizePublish = (client, packet, done) => {
    const meter = meterOf(client)
    if (meter && !mayPublish(meter, packet.topic)) {
      return done(new Error(`meter ${meter} may not publish on ${packet.topic}`))
    }
    done(null)
  }
  broker.authorizeForward = (client, packet) => {
    const meter = meterOf(client)
    return meter && !mayRead(meter, packet.topic) ? null : packet
  }
  const server = net.createServer({ noDelay: true }, broker.handle)
  server.on('error', (err) => {
    console.error(`mqtt broker: ${err.message}`)
    process.exit(1)
  })
  server.listen(port, host)
  const stop = () => {
    server.close()
    broker.close(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main()
