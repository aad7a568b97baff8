import { buildClientsJson, creatioRedirectUris, CREATIO_CLIENT_SCOPES } from "../lib/clientsJson";

/** The guide's example, with its placeholders filled in: the shape we must reproduce exactly. */
const GUIDE_EXAMPLE =
  '[{"ClientId":"{generate ClientId}","ClientName":"{generate name}","Secrets":["{generate ClientSecret}"],"AllowedGrantTypes":["implicit","client_credentials"],"RedirectUris":["http://localhost:8080","http://localhost:8080/lib","http://localhost:8080/lib/"],"PostLogoutRedirectUris":["http://localhost:8080"],"IdentityTokenLifetime": 300,"AccessTokenLifetime": 3600,"Properties": {"AllowedQueryParameters": "[\\"invitationHash\\",\\"targetSubject\\"]"},"AllowedScopes": ["register_own_resource", "get_resource_list", "get_client_info","find_clients","remove_client","update_client", "add_registrar_client", "IdentityServerApi"]}]';

describe("Clients JSON", () => {
  it("has exactly the guide's shape, values and key order", () => {
    const json = buildClientsJson([
      { clientId: "{generate ClientId}", clientName: "{generate name}", clientSecret: "{generate ClientSecret}", creatioUrl: "http://localhost:8080" },
    ]);
    expect(json).toBe(JSON.stringify(JSON.parse(GUIDE_EXAMPLE)));
  });

  it("is one string whose AllowedQueryParameters is itself JSON", () => {
    const parsed = JSON.parse(buildClientsJson([{ clientId: "a".repeat(16), clientName: "n", clientSecret: "s".repeat(32), creatioUrl: "https://c.example.com" }]));
    expect(parsed).toHaveLength(1);
    expect(JSON.parse(parsed[0].Properties.AllowedQueryParameters)).toEqual(["invitationHash", "targetSubject"]);
    expect(parsed[0].AllowedScopes).toEqual(CREATIO_CLIENT_SCOPES);
  });

  it("derives redirect URIs from Creatio's URL without doubling slashes", () => {
    expect(creatioRedirectUris("https://creatio.example.com/")).toEqual(["https://creatio.example.com", "https://creatio.example.com/lib", "https://creatio.example.com/lib/"]);
  });

  it("escapes hostile names and secrets instead of breaking the JSON", () => {
    const name = 'My "app" \\ ] }, {"ClientId":"evil"}';
    const secret = '"],"AllowedScopes":["*"],"x":["' + "z".repeat(10);
    const parsed = JSON.parse(buildClientsJson([{ clientId: "b".repeat(16), clientName: name, clientSecret: secret, creatioUrl: "http://x" }]));
    expect(parsed).toHaveLength(1);
    expect(parsed[0].ClientName).toBe(name);
    expect(parsed[0].Secrets).toEqual([secret]);
    expect(parsed[0].AllowedScopes).toEqual(CREATIO_CLIENT_SCOPES);
  });
});
