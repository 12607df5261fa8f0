# shared/.persistence-config
shared: "config/tenant.php"
user: "public/*photo*/"
runtime: "public/cache-*/"
custom: "public/brand/"
app: "public/build/"
keep_releases: 3
before_switch: "php artisan migrate --force"
after_switch: "php artisan config:cache"
after_switch: "php artisan queue:restart"
